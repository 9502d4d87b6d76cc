import { readFileSync } from 'node:fs';
import { measurePeakGflops } from '../backend/native/index.js';
import { availableBackends } from '../backend/registry.js';

/** This machine's fp32 peak and how it was found. */
export interface Peak {
  gflops: number;
  cores: number;
  method: string;
}

/**
 * The fp32 peak of all cores. Preferred: a measured FMA loop (the native addon runs one per
 * thread, with enough independent accumulators to cover FMA latency). Otherwise
 * cores × FMA lanes × 2 flops × the clock /proc/cpuinfo reports.
 */
export function estimatePeak(threads: number): Peak {
  if (availableBackends().includes('native')) {
    const gflops = measurePeakGflops(threads);
    return { gflops, cores: threads, method: `measured FMA loop on ${threads} thread(s)` };
  }
  const info = safeRead('/proc/cpuinfo');
  const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(info)?.[1] ?? '3000');
  const lanes = /\bavx512f\b/.test(info) ? 16 : /\bavx2\b/.test(info) ? 8 : 4;
  const gflops = (threads * lanes * 2 * mhz) / 1000;
  return { gflops, cores: threads, method: `${threads} cores × ${lanes} FMA lanes × 2 × ${mhz} MHz` };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
