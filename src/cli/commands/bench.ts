import type { BackendName } from '../../backend/backend.js';
import { availableBackends, isBackendName, nativeLoadError } from '../../backend/registry.js';
import { benchGenerate } from '../../bench/generate.js';
import { benchLayers, layerCases } from '../../bench/layers.js';
import { formatTable } from '../../bench/layers-report.js';
import { benchMatmul, type MatmulRecord } from '../../bench/matmul.js';
import { benchServe } from '../../bench/serve.js';
import { benchTrain, trainCases } from '../../bench/train.js';
import { formatTrainTable } from '../../bench/train-report.js';
import { HeedError } from '../../util/errors.js';
import { type ParsedArgs, parseArgs } from '../args.js';
import type { Command } from '../command.js';

const suites = ['matmul', 'layers', 'train', 'generate', 'serve'] as const;

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure speed: matmul GFLOPS per backend; layers and training steps against PyTorch',
  help: `Usage: heed bench matmul [--json] [--backends=js,native]
       heed bench layers [--json] [--threads N] [--no-torch] [--cases=lstm,gru,...]
       heed bench train [--json] [--threads N] [--no-torch] [--steps N] [--cases=gpt,...]
       heed bench generate [--json]
       heed bench serve [CHECKPOINT ...] [--clients=1,4,16] [--requests N] [--json]

serve: the explorer's API under a bounded load: a 'heed serve' child process over the
checkpoints (default: the shipped ones), clients concurrent keep-alive clients sending N
requests in all (default 300) drawn from every model (translation greedy and beam 5,
classification, 20 generated tokens, the worked example); each answer must equal the one the
same request got alone. Prints requests/s and latency percentiles; any wrong or dropped answer
is counted and shown.

generate: the key/value cache's speed-up: a GPT at nanoGPT's CPU size generates 200 tokens with
the cache and with full recomputation at every step (greedy, so both give the same tokens), at
context 64 (cropped as nanoGPT) and 256.

matmul: GFLOPS of square products 128³–1024³, 32×256·256×1024, a batch of 256 64×64 products,
and the cost of one 16×16 matmul call, for each backend, each as a fraction of this machine's
fp32 peak (a measured FMA loop on all threads). Each product is timed twice: 'matmul' through
the tensor API (a fresh output per call, page faults included) and 'gemm', the backend's kernel
into one reused output. --json prints one JSON object per line with backend, path, shape,
gflops, peakFraction (and usPerCall for the call cost).

layers: forward + backward (parameter and input gradients) of float32 layers on the native
backend and, in the same run, in PyTorch (/usr/bin/python3 with torch, or $HEED_PYTHON; skipped
with --no-torch or when torch cannot be imported) on the same thread count (default: the native
one; torch also gets OPENBLAS/OMP/MKL_NUM_THREADS). Median over repeated runs after warm-up.
Cases: ${layerCases.map((c) => c.name).join(', ')}
  lstm, gru: batch 32, seq 20, input 64, hidden 256 · mha: batch 8, T 128, D 256, 4 heads,
  self-attention, no weights · attention-fused-T / attention-composed-T: scaledDotProductAttention
  on [1, 4, T, 64] with needWeights false / true, both against torch's composed
  softmax(q·kᵀ/√d)·v (torch 1.13 has no fused CPU attention), with peak extra memory (RSS growth
  during one forward + backward in a child process; see src/bench/layers.ts).
ratio = torch ms / heed ms (above 1: heed is faster). --json prints one JSON object per line with
case, shape, heedMs, torchMs, ratio, runs and (attention) heedPeakMB, torchPeakMB, scoresMB.

train: training throughput (tokens/s) of whole steps — zeroGrad, loss, backward, gradient
clipping to norm 1, optimizer step — on one fixed random batch, heed native against the same
model in PyTorch (bench/torch_train.py; same interpreter, threads and --no-torch as layers).
5 warm-up steps, then --steps timed ones (default 30) in blocks of 5 alternating with torch's, so
both sides see the machine in the same state; ms = their mean. Parameter counts of both
sides are printed and must agree. Cases: ${trainCases.map((c) => c.name).join(', ')}
  seq2seq-gru-additive: Seq2Seq as configs/enfr-rnn-additive.json (bi-GRU encoder, Bahdanau
  additive attention, seed-001 decoder, embed 128, hidden 256, vocab 4000/4000, dropout 0.2),
  batch 32 × 20 source and 20 target tokens, Adam; tokens = target tokens.
  gpt: nanoGPT's CPU shakespeare_char size (4 layers, 4 heads, 128 dims, context 64, batch 12,
  vocab 65, dropout 0, no biases), AdamW with nanoGPT's decay groups; tokens = batch × context.
ratio = heed tokens/s / torch tokens/s (above 1: heed is faster). --json prints one JSON object
per line with case, heedTokensPerSec, torchTokensPerSec, ratio, heedMsPerStep, torchMsPerStep,
heedParams, torchParams and more.`,
  async run(args) {
    const at = args.findIndex((a) => (suites as readonly string[]).includes(a));
    const rest = args.filter((_, i) => i !== at);
    if (args[at] === 'matmul') return runMatmul(rest);
    if (args[at] === 'layers') return runLayers(rest);
    if (args[at] === 'train') return runTrain(rest);
    if (args[at] === 'generate') return runGenerate(rest);
    if (args[at] === 'serve') return runServe(rest);
    throw new HeedError(`bench: name a suite: ${suites.join(', ')}`);
  },
};

async function runServe(argv: string[]): Promise<number> {
  const verb = 'bench serve';
  const args = suiteArgs(verb, argv, ['clients', 'requests'], ['json']);
  const clients = listOption(args, 'clients')?.map((c) => integerIn(verb, 'clients', c, 1_000)) ?? [1, 4, 16];
  const requests = intOption(verb, args, 'requests', 1_000_000) ?? 300;
  let failed = false;
  await benchServe({ checkpoints: args.positionals, clients, requests }, (r) => {
    failed ||= r.ok !== r.requests;
    if (args.switches.has('json')) process.stdout.write(`${JSON.stringify(r)}\n`);
    else {
      process.stdout.write(
        `${String(r.clients).padStart(3)} clients: ${r.requests} requests in ${r.seconds.toFixed(2)} s = ${r.requestsPerSec.toFixed(1)}/s; latency p50 ${r.p50Ms.toFixed(1)} ms, p90 ${r.p90Ms.toFixed(1)}, p99 ${r.p99Ms.toFixed(1)}, max ${r.maxMs.toFixed(1)}; ${r.ok} right, ${r.wrong} wrong, ${r.dropped} dropped (${r.mix})\n`,
      );
    }
  });
  return failed ? 1 : 0;
}

/** A suite's arguments: the listed options and switches, nothing else (no config overrides). */
function suiteArgs(verb: string, argv: readonly string[], flags: string[], switches: string[]): ParsedArgs {
  const args = parseArgs(verb, argv, flags, switches);
  const extra = args.overrides[0];
  if (extra !== undefined) {
    const known = [...flags, ...switches].map((f) => `--${f}`).join(', ');
    throw new HeedError(`${verb}: unknown option ${extra.split('=')[0]} (options: ${known})`);
  }
  return args;
}

function integerIn(verb: string, name: string, text: string | undefined, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new HeedError(`${verb}: --${name} wants an integer in [1, ${max}], got '${text ?? ''}'`);
  }
  return n;
}

function intOption(verb: string, args: ParsedArgs, name: string, max: number): number | undefined {
  return args.options.has(name) ? integerIn(verb, name, args.options.get(name), max) : undefined;
}

function listOption(args: ParsedArgs, name: string): string[] | undefined {
  return args.options.get(name)?.split(',');
}

function noPositionals(verb: string, args: ParsedArgs): void {
  if (args.positionals.length > 0)
    throw new HeedError(`${verb}: unexpected argument '${args.positionals[0]}'`);
}

function runGenerate(argv: string[]): number {
  const args = suiteArgs('bench generate', argv, [], ['json']);
  noPositionals('bench generate', args);
  const json = args.switches.has('json');
  benchGenerate((r) => {
    if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else {
      process.stdout.write(
        `${r.case.padEnd(8)} ${r.tokens} tokens: cached ${r.cachedMs.toFixed(1)} ms, full recomputation ${r.fullMs.toFixed(1)} ms, speed-up ${r.speedup.toFixed(2)}×${r.same ? '' : '  (OUTPUTS DIFFER)'}\n`,
      );
    }
  });
  return 0;
}

function runMatmul(argv: string[]): number {
  const args = suiteArgs('bench matmul', argv, ['backends'], ['json']);
  noPositionals('bench matmul', args);
  const json = args.switches.has('json');
  const backends: BackendName[] = [];
  for (const b of listOption(args, 'backends') ?? availableBackends()) {
    if (!isBackendName(b) || !availableBackends().includes(b)) {
      throw new HeedError(
        `bench: backend '${b}' is not available; available: ${availableBackends().join(', ')}`,
      );
    }
    backends.push(b);
  }
  const records: MatmulRecord[] = [];
  const peak = benchMatmul(backends, (r) => {
    records.push(r);
    if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else process.stdout.write(formatRecord(r));
  });
  if (!json) {
    process.stdout.write(`\npeak: ${peak.gflops.toFixed(1)} GFLOPS (${peak.method})\n`);
    const js = records.find((r) => r.backend === 'js' && r.shape === '512x512x512' && r.path === 'matmul');
    const nat = records.find(
      (r) => r.backend === 'native' && r.shape === '512x512x512' && r.path === 'matmul',
    );
    if (js && nat) process.stdout.write(`native / js at 512³: ${(nat.gflops / js.gflops).toFixed(1)}×\n`);
  } else {
    process.stdout.write(`${JSON.stringify({ peakGflops: peak.gflops, peakMethod: peak.method })}\n`);
  }
  return 0;
}

function formatRecord(r: MatmulRecord): string {
  const call = r.usPerCall === undefined ? '' : `  ${r.usPerCall.toFixed(3)} µs/call`;
  return `${r.backend.padEnd(7)} ${r.gemm.padEnd(9)} ${r.path.padEnd(7)} ${r.shape.padEnd(20)} ${r.gflops.toFixed(2).padStart(9)} GFLOPS  ${(100 * r.peakFraction).toFixed(1).padStart(5)}% of peak${call}\n`;
}

interface SuiteOptions {
  json: boolean;
  torch: boolean;
  threads?: number;
  steps?: number;
  cases?: string[];
}

/** `--threads N`, `--cases=a,b`, `--json`, `--no-torch` (and for train `--steps N`), as `--x N` or `--x=N`. */
function suiteOptions(verb: string, argv: readonly string[], withSteps: boolean): SuiteOptions {
  const args = suiteArgs(
    verb,
    argv,
    ['threads', 'cases', ...(withSteps ? ['steps'] : [])],
    ['json', 'no-torch'],
  );
  noPositionals(verb, args);
  return {
    json: args.switches.has('json'),
    torch: !args.switches.has('no-torch'),
    threads: intOption(verb, args, 'threads', 1024),
    steps: withSteps ? intOption(verb, args, 'steps', 100_000) : undefined,
    cases: listOption(args, 'cases'),
  };
}

function requireNative(verb: string): void {
  if (!availableBackends().includes('native')) {
    throw new HeedError(`${verb}: needs the native backend, which did not load (${nativeLoadError()})`);
  }
}

/** What the layers and train suites report: heed's records against torch's, or why torch did not run. */
interface VersusTorch<R> {
  heed: string;
  torch: string | null;
  torchUnavailable: string | null;
  records: readonly R[];
}

/** Prints a suite's report: JSON lines, or a header, `table` and `footer`. */
function printVersusTorch<R>(
  json: boolean,
  report: VersusTorch<R>,
  what: string,
  table: string,
  footer: string,
): number {
  if (report.torchUnavailable !== null) {
    (json ? process.stderr : process.stdout).write(`torch: not available (${report.torchUnavailable})\n`);
  }
  if (json) {
    for (const r of report.records) process.stdout.write(`${JSON.stringify(r)}\n`);
    return 0;
  }
  const vs = report.torch === null ? '' : ` vs ${report.torch}`;
  process.stdout.write(`${report.heed}${vs}; ${what}\n\n${table}\n${footer}`);
  return 0;
}

function runLayers(args: string[]): number {
  const opts = suiteOptions('bench layers', args, false);
  requireNative('bench layers');
  const report = benchLayers({
    threads: opts.threads,
    cases: opts.cases,
    torch: opts.torch,
    onProgress: (m) => process.stderr.write(`bench layers: ${m}\n`),
  });
  return printVersusTorch(
    opts.json,
    report,
    'median ms of forward + backward',
    formatTable(report.records),
    'ratio = torch ms / heed ms (above 1: heed is faster). Fused and composed attention both compare\n' +
      "with torch's composed softmax(q·kᵀ/√d)·v. MB: peak RSS growth during one forward + backward in a\n" +
      'child process (1 MB = 1e6 bytes); T² MB: one [4, T, T] float32 matrix.\n',
  );
}

async function runTrain(args: string[]): Promise<number> {
  const opts = suiteOptions('bench train', args, true);
  requireNative('bench train');
  const report = await benchTrain({
    threads: opts.threads,
    cases: opts.cases,
    steps: opts.steps,
    torch: opts.torch,
    onProgress: (m) => process.stderr.write(`bench train: ${m}\n`),
  });
  return printVersusTorch(
    opts.json,
    report,
    `${report.records[0]?.steps ?? 0} timed training steps per case`,
    formatTrainTable(report.records),
    'ratio = heed tok/s / torch tok/s (above 1: heed is faster); ms = mean ms per step; params = distinct\n' +
      'trainable parameters (a tied matrix once), which must agree for the comparison to hold.\n',
  );
}
