/**
 * Training-throughput benchmark: whole training steps of heed's models (native backend) against
 * the same models in PyTorch, in one run, on the same thread count. A step is what the Trainer
 * does (src/train/trainer.ts): zeroGrad → loss → backward → clipGradNorm(1) → optimizer.step,
 * here on one fixed random batch. Each side runs `warmup` untimed steps, then `steps` timed ones;
 * tokens/s = tokens per step × steps / their total time (ms/step is that time's mean).
 *
 * The PyTorch side is bench/torch_train.py, spawned once; it prints one JSON line per case,
 * which train-report.ts reads and joins to heed's figures. Each case's parameter count is
 * compared across the two: a mismatch means the mirror is not the same model.
 */
import '../backend/native/register.js';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

/**
 * Builds a case and times its training steps (on whatever backend is current). Each step
 * releases its graph after backward and its gradients at the next zeroGrad, as the Trainer does
 * (`releaseGraph: false` to compare).
 */
export function timeTrainCase(
  c: TrainCase,
  steps: number,
  warmup: number,
  releaseGraph = true,
): HeedTrainMeasurement {
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
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  const totalMs = performance.now() - start;
  times.sort((a, b) => a - b);
  return {
    case: c.name,
    shape: c.shape,
    params: w.model.numParameters(),
    tokensPerStep: w.tokensPerStep,
    steps,
    heedMs: totalMs / steps,
    heedMedianMs: times[Math.floor(times.length / 2)],
    firstLoss,
  };
}

/** Where torch_train.py lives (bench/ at the repository root) and what runs it. */
const torchScript = fileURLToPath(new URL('../../bench/torch_train.py', import.meta.url));
const python = process.env.HEED_PYTHON ?? '/usr/bin/python3';

/**
 * Runs torch_train.py once with `threads` threads everywhere (torch.set_num_threads and
 * {@link torchEnv}). Returns its output, or why torch is not available.
 */
function runTorch(
  cases: readonly string[],
  threads: number,
  steps: number,
  warmup: number,
  say: (message: string) => void,
): TorchTrainOutput | string {
  if (!existsSync(torchScript)) return `${torchScript} not found`;
  const n = String(threads);
  const args = [torchScript, '--threads', n, '--cases', cases.join(','), '--steps', String(steps)];
  const r = spawnSync(python, [...args, '--warmup', String(warmup)], {
    env: torchEnv(threads),
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 1 << 20,
  });
  const out = parseTorchTrainOutput(r.stdout ?? '');
  if (out.error !== null) return out.error;
  if (r.error !== undefined && out.cases.size === 0) return `${python}: ${r.error.message}`;
  if (out.version === null) return r.stderr?.trim().split('\n').at(-1) || `${python} exited with ${r.status}`;
  if (r.error !== undefined) say(`torch stopped early (${r.error.message}); its missing cases show as —`);
  return out;
}

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

/** Times heed's cases, then torch's (never both at once). */
export function benchTrain(opts: TrainBenchOptions = {}): TrainBenchReport {
  const info = nativeInfo();
  const threads = opts.threads ?? info.threads;
  const steps = opts.steps ?? 30;
  const warmup = opts.warmup ?? 5;
  const selected = (opts.cases ?? trainCases.map((c) => c.name)).map(findCase);
  const say = opts.onProgress ?? (() => {});
  const heed: HeedTrainMeasurement[] = [];
  setNativeThreads(threads);
  try {
    withBackend('native', () => {
      for (const c of selected) {
        const m = timeTrainCase(c, steps, warmup);
        heed.push(m);
        say(`heed ${c.name}: ${fmtMs(m.heedMs)} ms/step`);
      }
    });
  } finally {
    setNativeThreads(info.threads);
  }
  let torch: TorchTrainOutput | null = null;
  let torchUnavailable: string | null = null;
  if (opts.torch ?? true) {
    say('torch…');
    const t = runTorch(
      selected.map((c) => c.name),
      threads,
      steps,
      warmup,
      say,
    );
    if (typeof t === 'string') torchUnavailable = t;
    else torch = t;
  }
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
