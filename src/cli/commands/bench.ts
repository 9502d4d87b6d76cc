import type { BackendName } from '../../backend/backend.js';
import { availableBackends, isBackendName } from '../../backend/registry.js';
import { benchMatmul, type MatmulRecord } from '../../bench/matmul.js';
import { HeedError } from '../../util/errors.js';
import type { Command } from '../command.js';

const suites = ['matmul'] as const;

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure kernel speed (matmul GFLOPS, call cost) on every backend in one run',
  help: `Usage: heed bench matmul [--json] [--backends=js,native]

matmul: GFLOPS of square products 128³–1024³, 32×256·256×1024, a batch of 256 64×64 products,
and the cost of one 16×16 matmul call, for each backend, each as a fraction of this machine's
fp32 peak (a measured FMA loop on all threads). --json prints one JSON object per line with
backend, shape, gflops, peakFraction (and usPerCall for the call cost).`,
  async run(args) {
    const suite = args.find((a) => !a.startsWith('--'));
    if (suite === undefined || !(suites as readonly string[]).includes(suite)) {
      throw new HeedError(`bench: name a suite: ${suites.join(', ')}`);
    }
    const json = args.includes('--json');
    const listed = args.find((a) => a.startsWith('--backends='))?.slice('--backends='.length);
    const backends: BackendName[] = [];
    for (const b of listed ? listed.split(',') : availableBackends()) {
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
      const js = records.find((r) => r.backend === 'js' && r.shape === '512x512x512');
      const nat = records.find((r) => r.backend === 'native' && r.shape === '512x512x512');
      if (js && nat) process.stdout.write(`native / js at 512³: ${(nat.gflops / js.gflops).toFixed(1)}×\n`);
    } else {
      process.stdout.write(`${JSON.stringify({ peakGflops: peak.gflops, peakMethod: peak.method })}\n`);
    }
    return 0;
  },
};

function formatRecord(r: MatmulRecord): string {
  const call = r.usPerCall === undefined ? '' : `  ${r.usPerCall.toFixed(3)} µs/call`;
  return `${r.backend.padEnd(7)} ${r.gemm.padEnd(9)} ${r.shape.padEnd(20)} ${r.gflops.toFixed(2).padStart(9)} GFLOPS  ${(100 * r.peakFraction).toFixed(1).padStart(5)}% of peak${call}\n`;
}
