/**
 * Layer benchmark: heed (native backend) against PyTorch, in one run, on the same shapes and the
 * same thread count. Each case times forward + backward of sum(output ⊙ seed) — run as
 * `output.backward(seed)`, which yields the same gradients — with fresh parameter and input
 * gradients every run, and reports the median after warm-up (src/bench/timing.ts).
 *
 * The PyTorch side is bench/torch_layers.py, spawned once; it prints one JSON line per case,
 * which layers-report.ts reads and joins to heed's figures.
 *
 * Peak memory (attention cases) is measured the same way on both sides, in a child process
 * started with MALLOC_MMAP_THRESHOLD_=65536 (glibc then maps every large buffer on its own and
 * unmaps it when freed, so RSS follows what is live): after a warm-up run, reset the peak RSS
 * (write 5 to /proc/self/clear_refs), read VmRSS, run forward + backward once, read VmHWM; the
 * growth is the peak extra memory, transients inside a kernel and not-yet-collected garbage
 * included. heed's child runs a full GC before the baseline (--expose-gc), with array buffers
 * swept synchronously (--no-concurrent-array-buffer-sweeping; otherwise garbage from the warm-up
 * is freed in the background during the measured run and the growth can come out negative). It
 * also reports the growth of `process.memoryUsage().arrayBuffers` sampled after the forward and
 * after the backward (heedTypedMB): tensor storage only, blind to transients between samples.
 */
import '../backend/native/register.js';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nativeInfo, setNativeThreads } from '../backend/native/index.js';
import { withBackend } from '../backend/registry.js';
import { MultiHeadAttention } from '../nn/attention/multihead.js';
import { scaledDotProductAttention } from '../nn/attention/sdpa.js';
import { GRU, LSTM } from '../nn/rnn/rnn.js';
import { randn } from '../ops/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { HeedError } from '../util/errors.js';
import { Generator } from '../util/random.js';
import {
  fmtMs,
  type HeedMeasurement,
  type HeedMemory,
  jsonLines,
  type LayerRecord,
  mergeRecords,
  num,
  parseTorchOutput,
  str,
  type TorchOutput,
} from './layers-report.js';
import { timeIt, torchEnv } from './timing.js';

/** What one timed run does: clear the leaves' gradients, forward, backward with the seed. */
interface Workload {
  /** Inputs and parameters: every tensor whose gradient the backward fills. */
  leaves: Tensor[];
  forward(): Tensor;
  /** The gradient of the output (the random weights of sum(output ⊙ seed)). */
  seed: Tensor;
}

interface LayerCase {
  name: string;
  /** The shapes, written as bench/torch_layers.py writes them (the merge checks they agree). */
  shape: string;
  /** The torch_layers.py case it is compared with. */
  torchCase: string;
  /** Attention cases: size of one [B·H, T, T] float32 matrix in MB, the unit of composed memory. */
  scoresMB: number | null;
  timing: { budgetMs: number; minRuns: number; warmup: number };
  build(gen: Generator): Workload;
}

const RNN = { batch: 32, seq: 20, input: 64, hidden: 256 };
const MHA = { batch: 8, seq: 128, embed: 256, heads: 4 };
const ATTN = { batch: 1, heads: 4, headDim: 64 };
const SMALL = { budgetMs: 2000, minRuns: 5, warmup: 2 };

function recurrentCase(kind: 'lstm' | 'gru'): LayerCase {
  const { batch, seq, input, hidden } = RNN;
  return {
    name: kind,
    shape: `B=${batch} T=${seq} I=${input} H=${hidden}`,
    torchCase: kind,
    scoresMB: null,
    timing: SMALL,
    build(gen) {
      const config = { inputSize: input, hiddenSize: hidden };
      const layer =
        kind === 'lstm' ? new LSTM(config, { generator: gen }) : new GRU(config, { generator: gen });
      const x = randn([batch, seq, input], { generator: gen, requiresGrad: true });
      const seed = randn([batch, seq, hidden], { generator: gen });
      return { leaves: [x, ...layer.parameters()], seed, forward: () => layer.forward(x).output }; // [B, T, H]
    },
  };
}

const mhaCase: LayerCase = {
  name: 'mha',
  shape: `B=${MHA.batch} T=${MHA.seq} D=${MHA.embed} heads=${MHA.heads}`,
  torchCase: 'mha',
  scoresMB: null,
  timing: SMALL,
  build(gen) {
    const mha = new MultiHeadAttention(MHA.embed, MHA.heads, {}, { generator: gen });
    const x = randn([MHA.batch, MHA.seq, MHA.embed], { generator: gen, requiresGrad: true });
    const seed = randn([MHA.batch, MHA.seq, MHA.embed], { generator: gen });
    const forward = (): Tensor => mha.forward(x, x, x, { needWeights: false }).context; // [B, T, D]
    return { leaves: [x, ...mha.parameters()], seed, forward };
  },
};

/**
 * sdpa with needWeights false (the flash kernel) or true (the weights-returning path, named
 * 'composed' after what it replaces: now flashAttentionWithWeights, which holds the weights as
 * the only [B·H, T, T] array; the composition of ops runs only with dropout or a float mask).
 */
function attentionCase(path: 'fused' | 'composed', seq: number): LayerCase {
  const shape = [ATTN.batch, ATTN.heads, seq, ATTN.headDim];
  const heavy = seq > 2048;
  return {
    name: `attention-${path}-${seq}`,
    shape: `[${shape.join(',')}]`,
    torchCase: `attention-${seq}`,
    scoresMB: (ATTN.batch * ATTN.heads * seq * seq * 4) / 1e6,
    timing: heavy ? { budgetMs: 0, minRuns: 3, warmup: 1 } : { budgetMs: 1500, minRuns: 5, warmup: 1 },
    build(gen) {
      const [q, k, v] = [0, 1, 2].map(() => randn(shape, { generator: gen, requiresGrad: true }));
      const seed = randn(shape, { generator: gen });
      const needWeights = path === 'composed';
      const forward = (): Tensor => scaledDotProductAttention(q, k, v, { needWeights }).context; // [B, H, T, hs]
      return { leaves: [q, k, v], seed, forward };
    },
  };
}

/** Every case, in the order they run and print. */
export const layerCases: readonly LayerCase[] = [
  recurrentCase('lstm'),
  recurrentCase('gru'),
  mhaCase,
  attentionCase('fused', 1024),
  attentionCase('composed', 1024),
  attentionCase('fused', 4096),
  attentionCase('composed', 4096),
];

function findCase(name: string): LayerCase {
  const c = layerCases.find((x) => x.name === name);
  if (c === undefined) {
    throw new HeedError(
      `bench layers: unknown case '${name}'; cases: ${layerCases.map((x) => x.name).join(', ')}`,
    );
  }
  return c;
}

function step(w: Workload): void {
  for (const t of w.leaves) t.grad = null;
  w.forward().backward(w.seed);
}

function timeHeedCase(c: LayerCase): HeedMeasurement {
  const w = c.build(new Generator(1));
  const t = timeIt(() => step(w), c.timing);
  const { name, shape, torchCase, scoresMB } = c;
  return { case: name, shape, torchCase, scoresMB, heedMs: t.medianMs, heedMinMs: t.minMs, heedRuns: t.runs };
}

function statusKb(key: 'VmRSS' | 'VmHWM'): number | null {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m === null ? null : Number(m[1]);
}

/** Resets VmHWM to the current RSS and returns that RSS in kB, or null if Linux does not let us. */
function resetPeakRss(): number | null {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return statusKb('VmRSS');
  } catch {
    return null;
  }
}

/**
 * Runs in the memory child (see the file comment): for each case, a warm-up run, a full GC when
 * exposed, then one measured forward + backward.
 */
export function measureHeedMemory(names: readonly string[]): HeedMemory[] {
  return withBackend('native', () =>
    names.map((name) => {
      const w = findCase(name).build(new Generator(1));
      step(w);
      for (const t of w.leaves) t.grad = null;
      globalThis.gc?.();
      const typed0 = process.memoryUsage().arrayBuffers;
      const rss0 = resetPeakRss();
      const out = w.forward();
      const typed1 = process.memoryUsage().arrayBuffers;
      out.backward(w.seed);
      const typed2 = process.memoryUsage().arrayBuffers;
      const hwm = statusKb('VmHWM');
      const heedPeakMB = rss0 === null || hwm === null ? null : ((hwm - rss0) * 1024) / 1e6;
      return { case: name, heedPeakMB, heedTypedMB: (Math.max(typed1, typed2) - typed0) / 1e6 };
    }),
  );
}

/** Spawns a fresh Node.js for {@link measureHeedMemory}; returns its figures or why it failed. */
function heedMemoryInChild(names: readonly string[], threads: number): HeedMemory[] | string {
  const script = [
    `import { setNativeThreads } from ${JSON.stringify(new URL('../backend/native/index.js', import.meta.url).href)};`,
    `import { measureHeedMemory } from ${JSON.stringify(import.meta.url)};`,
    `setNativeThreads(${threads});`,
    `for (const m of measureHeedMemory(${JSON.stringify(names)})) console.log(JSON.stringify(m));`,
  ].join('\n');
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', '--no-concurrent-array-buffer-sweeping', '--input-type=module', '-e', script],
    {
      env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '65536', HEED_QUIET: '1' },
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 1 << 20,
    },
  );
  if (r.error !== undefined || r.status !== 0) {
    return r.error?.message ?? (r.stderr.trim().split('\n').at(-1) || `exit status ${r.status}`);
  }
  const out: HeedMemory[] = [];
  for (const o of jsonLines(r.stdout)) {
    const name = str(o, 'case');
    const typed = num(o, 'heedTypedMB');
    if (name !== undefined && typed !== undefined) {
      out.push({ case: name, heedPeakMB: num(o, 'heedPeakMB') ?? null, heedTypedMB: typed });
    }
  }
  return out;
}

/** Where torch_layers.py lives (bench/ at the repository root) and what runs it. */
const torchScript = fileURLToPath(new URL('../../bench/torch_layers.py', import.meta.url));
const python = process.env.HEED_PYTHON ?? '/usr/bin/python3';

/**
 * Runs torch_layers.py once with `threads` threads everywhere (torch.set_num_threads and
 * {@link torchEnv}). Returns its output, or why torch is not available.
 */
function runTorch(
  cases: readonly string[],
  threads: number,
  timeoutMs: number,
  say: (message: string) => void,
): TorchOutput | string {
  if (!existsSync(torchScript)) return `${torchScript} not found`;
  const n = String(threads);
  const r = spawnSync(python, [torchScript, '--threads', n, '--cases', cases.join(',')], {
    env: torchEnv(threads),
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 1 << 20,
  });
  const out = parseTorchOutput(r.stdout ?? '');
  if (out.error !== null) return out.error;
  if (r.error !== undefined && out.cases.size === 0) return `${python}: ${r.error.message}`;
  if (out.version === null) return r.stderr?.trim().split('\n').at(-1) || `${python} exited with ${r.status}`;
  if (r.error !== undefined) say(`torch stopped early (${r.error.message}); its missing cases show as —`);
  return out;
}

export interface LayerBenchOptions {
  /** Native threads for heed and torch (default: heed's current count). */
  threads?: number;
  /** Case names (default all, see {@link layerCases}). */
  cases?: readonly string[];
  /** Run the PyTorch side (default true). */
  torch?: boolean;
  /** Progress messages (stderr in the CLI). */
  onProgress?: (message: string) => void;
}

export interface LayerBenchReport {
  records: LayerRecord[];
  threads: number;
  heed: string;
  /** 'torch 1.13.0 (2 threads)', or null when it did not run. */
  torch: string | null;
  /** Why torch did not run, when it did not (null when skipped on request or it ran). */
  torchUnavailable: string | null;
}

/** Times heed, then heed's memory, then torch, one after another (never two at once). */
export function benchLayers(opts: LayerBenchOptions = {}): LayerBenchReport {
  const info = nativeInfo();
  const threads = opts.threads ?? info.threads;
  const selected = (opts.cases ?? layerCases.map((c) => c.name)).map(findCase);
  const say = opts.onProgress ?? (() => {});
  const heed: HeedMeasurement[] = [];
  setNativeThreads(threads);
  try {
    withBackend('native', () => {
      for (const c of selected) {
        heed.push(timeHeedCase(c));
        say(`heed ${c.name}: ${fmtMs(heed[heed.length - 1].heedMs)} ms`);
      }
    });
  } finally {
    setNativeThreads(info.threads);
  }
  const memCases = selected.filter((c) => c.scoresMB !== null).map((c) => c.name);
  let memory: HeedMemory[] = [];
  if (memCases.length > 0) {
    say('heed memory (child process)…');
    const m = heedMemoryInChild(memCases, threads);
    if (typeof m === 'string') say(`heed memory failed: ${m}`);
    else memory = m;
  }
  let torch: TorchOutput | null = null;
  let torchUnavailable: string | null = null;
  if (opts.torch ?? true) {
    say('torch…');
    const torchCases = [...new Set(selected.map((c) => c.torchCase))];
    const t = runTorch(torchCases, threads, 180_000, say);
    if (typeof t === 'string') torchUnavailable = t;
    else torch = t;
  }
  return {
    records: mergeRecords(heed, memory, torch, threads),
    threads,
    heed: `heed native (${info.gemm}, ${info.simd}, ${threads} thread${threads === 1 ? '' : 's'})`,
    torch:
      torch === null
        ? null
        : `torch ${torch.version} (${torch.threads} threads, OMP_WAIT_POLICY ${torchEnv(threads).OMP_WAIT_POLICY})`,
    torchUnavailable,
  };
}
