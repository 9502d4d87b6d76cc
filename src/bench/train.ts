/**
 * Training-throughput benchmark: whole training steps of heed's models (native backend) against
 * the same models in PyTorch, in one run, on the same thread count. A step is what the Trainer
 * does (src/train/trainer.ts): zeroGrad → loss → backward → clipGradNorm(1) → optimizer.step,
 * here on one fixed random batch. Each side runs `warmup` untimed steps, then `steps` timed ones
 * in blocks that alternate with the other side's; tokens/s = tokens per step × steps / their
 * total time (ms/step is that time's mean).
 *
 * The PyTorch side is bench/torch_train.py, spawned once: it builds and warms up every case,
 * then times blocks of steps on request (one JSON line each), which train-report.ts joins to
 * heed's figures. Each case's parameter count is compared across the two: a mismatch means the
 * mirror is not the same model.
 */
import '../backend/native/register.js';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { nativeInfo, setNativeThreads } from '../backend/native/index.js';
import { withBackend } from '../backend/registry.js';
import { Seq2Seq } from '../models/seq2seq/model.js';
import { GPT } from '../models/transformer/gpt.js';
import type { Module } from '../nn/module.js';
import { Adam, type AdamOptions, AdamW } from '../optim/adam.js';
import { clipGradNorm } from '../optim/clip.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Tensor } from '../tensor/tensor.js';
import { HeedError } from '../util/errors.js';
import { Generator } from '../util/random.js';
import { fmtMs } from './layers-report.js';
import { torchEnv } from './timing.js';
import {
  type HeedTrainMeasurement,
  mergeTrainRecords,
  parseTorchTrainOutput,
  type TorchTrainOutput,
  type TrainRecord,
} from './train-report.js';

/** A model ready to train: its optimizer and the loss of its fixed batch. */
export interface TrainWorkload {
  model: Module;
  optimizer: Optimizer<AdamOptions>;
  loss(): Tensor;
  /** Tokens one step trains on. */
  tokensPerStep: number;
}

export interface TrainCase {
  name: string;
  /** The sizes, written as bench/torch_train.py writes them (the merge checks they agree). */
  shape: string;
  build(): TrainWorkload;
}

/** `count` token ids in [1, vocab): never the padding id 0. */
function randomIds(gen: Generator, count: number, vocab: number): Int32Array {
  return Int32Array.from({ length: count }, () => 1 + gen.int(vocab - 1));
}

/**
 * The sizes of configs/enfr-rnn-additive.json (BPE vocabularies of 4000, embed 128, hidden 256,
 * one layer, dropout 0.2) on a batch of 32 sentence pairs, 20 tokens each side, all full length.
 */
const S2S = {
  batch: 32,
  srcLen: 20,
  tgtLen: 20,
  srcVocab: 4000,
  tgtVocab: 4000,
  embed: 128,
  hidden: 256,
  dropout: 0.2,
};

const seq2seqCase: TrainCase = {
  name: 'seq2seq-gru-additive',
  shape: `B=${S2S.batch} Ts=${S2S.srcLen} Tt=${S2S.tgtLen} V=${S2S.srcVocab}/${S2S.tgtVocab} E=${S2S.embed} H=${S2S.hidden} p=${S2S.dropout}`,
  build() {
    const model = new Seq2Seq(
      {
        srcVocabSize: S2S.srcVocab,
        tgtVocabSize: S2S.tgtVocab,
        embedDim: S2S.embed,
        hiddenSize: S2S.hidden,
        cell: 'gru',
        numLayers: 1,
        bidirectional: true,
        dropout: S2S.dropout,
        attention: 'additive',
        decoder: 'seed001',
      },
      { generator: new Generator(1) },
    );
    const gen = new Generator(2);
    const { batch: b, srcLen: ts, tgtLen: tt } = S2S;
    const batch = {
      src: { ids: randomIds(gen, b * ts, S2S.srcVocab), shape: [b, ts], lengths: new Int32Array(b).fill(ts) },
      tgtIn: { ids: randomIds(gen, b * tt, S2S.tgtVocab), shape: [b, tt] },
      tgtOut: { ids: randomIds(gen, b * tt, S2S.tgtVocab), shape: [b, tt] },
    };
    const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
    return { model, optimizer, loss: () => model.loss(batch), tokensPerStep: b * tt };
  },
};

/** nanoGPT's CPU shakespeare_char run (README: 4 layers, 4 heads, 128 dims, ctx 64, batch 12, dropout 0; bias False). */
const NANO = { batch: 12, block: 64, layers: 4, heads: 4, embed: 128, vocab: 65 };

const gptCase: TrainCase = {
  name: 'gpt',
  shape: `B=${NANO.batch} T=${NANO.block} L=${NANO.layers} heads=${NANO.heads} D=${NANO.embed} V=${NANO.vocab}`,
  build() {
    const model = new GPT(
      {
        vocabSize: NANO.vocab,
        blockSize: NANO.block,
        nLayer: NANO.layers,
        nHead: NANO.heads,
        nEmbd: NANO.embed,
        dropout: 0,
        bias: false,
      },
      { generator: new Generator(1) },
    );
    const gen = new Generator(2);
    const n = NANO.batch * NANO.block;
    const x = Int32Array.from({ length: n }, () => gen.int(NANO.vocab));
    const y = Int32Array.from({ length: n }, () => gen.int(NANO.vocab));
    // nanoGPT's configure_optimizers: weight decay on the 2-D tensors (matmul weights, tables) only.
    const params = model.parameters();
    const optimizer = new AdamW(
      [
        { params: params.filter((p) => p.ndim >= 2), weightDecay: 0.1 },
        { params: params.filter((p) => p.ndim < 2), weightDecay: 0 },
      ],
      { lr: 1e-3, betas: [0.9, 0.99] },
    );
    const loss = (): Tensor => model.loss({ ids: x, shape: [NANO.batch, NANO.block] }, y);
    return { model, optimizer, loss, tokensPerStep: n };
  },
};

/** Every case, in the order they run and print. */
export const trainCases: readonly TrainCase[] = [seq2seqCase, gptCase];

function findCase(name: string): TrainCase {
  const c = trainCases.find((x) => x.name === name);
  if (c === undefined) {
    throw new HeedError(
      `bench train: unknown case '${name}'; cases: ${trainCases.map((x) => x.name).join(', ')}`,
    );
  }
  return c;
}

/** A case built and warmed up: one call of `step` is one training step, returning its loss. */
export interface PreparedTrainCase {
  step(): number;
  params: number;
  tokensPerStep: number;
  firstLoss: number;
}

/**
 * Builds a case and runs its `warmup` steps (on whatever backend is current). Each step releases
 * its graph after backward and its gradients at the next zeroGrad, as the Trainer does
 * (`releaseGraph: false` to compare).
 */
export function prepareTrainCase(c: TrainCase, warmup: number, releaseGraph = true): PreparedTrainCase {
  const w = c.build();
  w.model.train();
  const params = w.model.parameters();
  const step = (): number => {
    w.optimizer.zeroGrad({ release: releaseGraph });
    const loss = w.loss();
    const value = loss.item();
    loss.backward(undefined, { releaseGraph });
    clipGradNorm(params, 1);
    w.optimizer.step();
    return value;
  };
  const firstLoss = step();
  for (let i = 1; i < warmup; i++) step();
  return { step, params: w.model.numParameters(), tokensPerStep: w.tokensPerStep, firstLoss };
}

/** Mean and median of step times (ms). */
export function stepStats(times: readonly number[]): { meanMs: number; medianMs: number } {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    meanMs: times.reduce((a, b) => a + b, 0) / times.length,
    medianMs: sorted[Math.floor(sorted.length / 2)],
  };
}

/** Where torch_train.py lives (bench/ at the repository root). */
const torchScript = fileURLToPath(new URL('../../bench/torch_train.py', import.meta.url));

/** torch_train.py running: its header and ready lines, and blocks of timed steps on request. */
interface TorchServer {
  /** The header and one line per case (ready, with shape and parameters, or an error). */
  output: TorchTrainOutput;
  /** Times `steps` more steps of a case; rejects when the script has stopped. */
  block(name: string, steps: number): Promise<number[]>;
  /** Asks the script to quit and waits until it has (killing it after 5 s). */
  close(): Promise<void>;
}

/**
 * Starts torch_train.py with `threads` threads everywhere (torch.set_num_threads and
 * {@link torchEnv}) and waits for its cases to be built and warmed up. Resolves to the server,
 * or to why torch is not available. The script is killed after `timeoutMs` in all.
 */
async function startTorch(
  python: string,
  cases: readonly string[],
  threads: number,
  warmup: number,
  timeoutMs: number,
): Promise<TorchServer | string> {
  if (!existsSync(torchScript)) return `${torchScript} not found`;
  const args = [
    torchScript,
    '--threads',
    String(threads),
    '--cases',
    cases.join(','),
    '--warmup',
    String(warmup),
  ];
  const child = spawn(python, args, { env: torchEnv(threads), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  let spawnError: Error | null = null;
  child.on('error', (e) => {
    spawnError = e;
  });
  // A script that has stopped cannot take requests; its end shows when the next line is read.
  child.stdin.on('error', () => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  timer.unref();
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  /** The next JSON object the script prints (other lines skipped), or null at its end. */
  const next = async (): Promise<Record<string, unknown> | null> => {
    for (;;) {
      const r = await lines.next();
      if (r.done === true) return null;
      const o = parseTorchTrainOutput(r.value);
      if (o.version !== null || o.error !== null || o.cases.size > 0) return JSON.parse(r.value);
    }
  };
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  const close = async (): Promise<void> => {
    clearTimeout(timer);
    if (child.stdin.writable) child.stdin.end('quit\n');
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(kill);
  };
  const head: string[] = [];
  const header = await next();
  if (header === null) {
    await close();
    if (spawnError !== null) return `${python}: ${(spawnError as Error).message}`;
    return stderr.trim().split('\n').at(-1) || `${python} printed nothing`;
  }
  head.push(JSON.stringify(header));
  for (let n = 0; n < cases.length; n++) {
    const o = await next();
    if (o === null) break;
    head.push(JSON.stringify(o));
  }
  const output = parseTorchTrainOutput(head.join('\n'));
  if (output.error !== null || output.version === null) {
    await close();
    return output.error ?? `${python}: no torch version in its first line`;
  }
  return {
    output,
    close,
    async block(name, steps) {
      child.stdin.write(`run ${name} ${steps}\n`);
      const o = await next();
      const times = o?.block;
      if (o?.case !== name || !Array.isArray(times) || !times.every((t) => typeof t === 'number')) {
        throw new HeedError(
          `torch stopped before a block of '${name}'${o === null ? `: ${stderr.trim().split('\n').at(-1) ?? ''}` : ''}`,
        );
      }
      return times as number[];
    },
  };
}

/** Steps per block: the two sides alternate blocks of this many steps. */
export const BLOCK_STEPS = 5;

export interface TrainBenchOptions {
  /** Native threads for heed and torch (default: heed's current count). */
  threads?: number;
  /** Case names (default all, see {@link trainCases}). */
  cases?: readonly string[];
  /** Timed steps per case (default 30). */
  steps?: number;
  /** Untimed steps before them (default 5). */
  warmup?: number;
  /** Run the PyTorch side (default true). */
  torch?: boolean;
  /** What runs bench/torch_train.py (default $HEED_PYTHON, else /usr/bin/python3). */
  python?: string;
  /** Kill the PyTorch side after this long in all (default 10 minutes). */
  torchTimeoutMs?: number;
  /** Progress messages (stderr in the CLI). */
  onProgress?: (message: string) => void;
}

export interface TrainBenchReport {
  records: TrainRecord[];
  threads: number;
  heed: string;
  /** 'torch 1.13.0 (2 threads)', or null when it did not run. */
  torch: string | null;
  /** Why torch did not run, when it did not (null when skipped on request or it ran). */
  torchUnavailable: string | null;
}

/**
 * Times each case on both sides in alternating blocks of {@link BLOCK_STEPS} steps (heed first
 * in even rounds, torch first in odd ones; never both at once), so that both see the machine in
 * the same state: on a shared VM whole seconds can run at half speed. Each side's figures are
 * over all its timed steps.
 */
export async function benchTrain(opts: TrainBenchOptions = {}): Promise<TrainBenchReport> {
  const info = nativeInfo();
  const threads = opts.threads ?? info.threads;
  const steps = opts.steps ?? 30;
  const warmup = opts.warmup ?? 5;
  const selected = (opts.cases ?? trainCases.map((c) => c.name)).map(findCase);
  const say = opts.onProgress ?? (() => {});
  const python = opts.python ?? process.env.HEED_PYTHON ?? '/usr/bin/python3';
  let server: TorchServer | null = null;
  let torchUnavailable: string | null = null;
  if (opts.torch ?? true) {
    say('torch: building and warming up…');
    const s = await startTorch(
      python,
      selected.map((c) => c.name),
      threads,
      warmup,
      opts.torchTimeoutMs ?? 600_000,
    );
    if (typeof s === 'string') torchUnavailable = s;
    else server = s;
  }
  const heed: HeedTrainMeasurement[] = [];
  setNativeThreads(threads);
  try {
    for (const c of selected) {
      const prepared = withBackend('native', () => prepareTrainCase(c, warmup));
      const ready = server?.output.cases.get(c.name);
      let torchLive = server !== null && ready !== undefined && ready.error === undefined;
      const heedTimes: number[] = [];
      const torchTimes: number[] = [];
      const heedBlock = (n: number): void =>
        withBackend('native', () => {
          for (let i = 0; i < n; i++) {
            const t0 = performance.now();
            prepared.step();
            heedTimes.push(performance.now() - t0);
          }
        });
      for (let done = 0, round = 0; done < steps; round++) {
        const n = Math.min(BLOCK_STEPS, steps - done);
        if (round % 2 === 0) heedBlock(n);
        if (torchLive && server !== null) {
          try {
            torchTimes.push(...(await server.block(c.name, n)));
          } catch (e) {
            say(`${(e as Error).message}; its missing figures show as —`);
            if (ready !== undefined) ready.error = (e as Error).message;
            torchLive = false;
          }
        }
        if (round % 2 === 1) heedBlock(n);
        done += n;
      }
      const h = stepStats(heedTimes);
      heed.push({
        case: c.name,
        shape: c.shape,
        params: prepared.params,
        tokensPerStep: prepared.tokensPerStep,
        steps,
        heedMs: h.meanMs,
        heedMedianMs: h.medianMs,
        firstLoss: prepared.firstLoss,
      });
      if (ready !== undefined && torchLive && torchTimes.length === steps) {
        const t = stepStats(torchTimes);
        ready.torchMs = t.meanMs;
        ready.medianMs = t.medianMs;
        ready.steps = steps;
        if (ready.tokensPerStep !== undefined) ready.tokensPerSec = (1000 * ready.tokensPerStep) / t.meanMs;
      }
      say(
        `${c.name}: heed ${fmtMs(h.meanMs)} ms/step` +
          (ready?.torchMs !== undefined ? `, torch ${fmtMs(ready.torchMs)}` : ''),
      );
    }
  } finally {
    setNativeThreads(info.threads);
    await server?.close();
  }
  const torch = server?.output ?? null;
  return {
    records: mergeTrainRecords(heed, torch, threads),
    threads,
    heed: `heed native (${info.gemm}, ${info.simd}, ${threads} thread${threads === 1 ? '' : 's'})`,
    torch:
      torch === null
        ? null
        : `torch ${torch.version} (${torch.threads} threads, OMP_WAIT_POLICY ${torchEnv(threads).OMP_WAIT_POLICY})`,
    torchUnavailable,
  };
}
