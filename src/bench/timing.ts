/**
 * Timing for benchmarks (never for tests): warm up, then repeat until a time budget is spent,
 * and report the median, which shrugs off the odd slow run on a shared machine.
 */
export interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
}

export function timeIt(
  fn: () => void,
  opts: { budgetMs?: number; minRuns?: number; maxRuns?: number; warmup?: number } = {},
): Timing {
  const budget = opts.budgetMs ?? 400;
  const minRuns = opts.minRuns ?? 3;
  const maxRuns = opts.maxRuns ?? 1000;
  for (let i = 0; i < (opts.warmup ?? 1); i++) fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < maxRuns && (times.length < minRuns || performance.now() - start < budget)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)], minMs: times[0], runs: times.length };
}

/** Per-call cost of a very cheap call: times batches of `inner` calls and divides. */
export function timePerCall(fn: () => void, inner = 10000, budgetMs = 300): number {
  const t = timeIt(
    () => {
      for (let i = 0; i < inner; i++) fn();
    },
    { budgetMs, minRuns: 5, warmup: 2 },
  );
  return (t.medianMs * 1000) / inner; // µs
}

/**
 * The environment for a PyTorch child process run with `threads` threads: every BLAS/OpenMP
 * thread variable set (or OpenBLAS picks its own count), and idle OpenMP threads sleeping
 * (OMP_WAIT_POLICY=PASSIVE) unless the caller chose a policy. PASSIVE is PyTorch's fastest
 * here: with libgomp's default spin, or GOMP_SPINCOUNT=10000, PyTorch's OpenBLAS pool and its
 * OpenMP threads fight for the cores (BENCHMARKS.md, training throughput).
 */
export function torchEnv(threads: number): NodeJS.ProcessEnv {
  const n = String(threads);
  return {
    ...process.env,
    OPENBLAS_NUM_THREADS: n,
    OMP_NUM_THREADS: n,
    MKL_NUM_THREADS: n,
    OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE',
  };
}
