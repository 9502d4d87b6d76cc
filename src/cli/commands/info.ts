import { nativeInfo } from '../../backend/native/index.js';
import { availableBackends, getBackend, nativeLoadError } from '../../backend/registry.js';
import type { Command } from '../command.js';

export const infoCommand: Command = {
  name: 'info',
  summary: 'show the compute backend, the GEMM in use and the thread count',
  help: `Usage: heed info [--json]

Prints the backend ops run on (native or js), the backends that loaded, the matrix-multiply
kernel the native backend uses (OpenBLAS or the built-in kernel), its SIMD level and the number
of threads. HEED_BACKEND=js|native forces a backend; HEED_NUM_THREADS sets the thread count.`,
  async run(args) {
    const backend = getBackend().name;
    const native = availableBackends().includes('native') ? nativeInfo() : null;
    const info = {
      backend,
      available: availableBackends(),
      gemm: native ? native.gemm : 'js',
      simd: native ? native.simd : 'none',
      threads: native ? native.threads : 1,
      nativeError: nativeLoadError(),
      node: process.version,
    };
    if (args.includes('--json')) {
      process.stdout.write(`${JSON.stringify(info)}\n`);
      return 0;
    }
    const lines = [
      `backend:   ${info.backend}${backend === 'js' && info.nativeError ? ` (native unavailable: ${info.nativeError})` : ''}`,
      `available: ${info.available.join(', ')}`,
      `gemm:      ${info.gemm === 'openblas' ? 'OpenBLAS' : info.gemm === 'builtin' ? 'built-in kernel' : 'js'}`,
      `simd:      ${info.simd}`,
      `threads:   ${info.threads}`,
      `node:      ${info.node}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
