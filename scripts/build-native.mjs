#!/usr/bin/env node
/**
 * Builds the optional native backend (build/Release/heed_native.node) during `npm install`.
 *
 * The native backend is an accelerator, never a requirement: whatever goes wrong (no compiler,
 * no Node headers, a compile error), this script prints one line saying heed will use the js
 * backend and exits 0, so `npm install` / `npm ci` never fail because of it.
 *
 *   HEED_SKIP_NATIVE=1       skip the build
 *   HEED_NATIVE_BLAS=0       do not link OpenBLAS even if present (built-in GEMM only)
 *   HEED_NATIVE_MARCH=<arch> target this -march instead of `native` (e.g. x86-64-v3 for AVX2)
 *   HEED_NATIVE_THREADS=0    build without the thread pool (single-threaded kernels)
 *   HEED_NATIVE_VERBOSE=1    show the compiler output (also: --verbose)
 *
 * binding.gyp calls back into this file with `--probe cflags|ldflags|libs` to learn which
 * machine-specific flags work; the build passes the answers down in the environment so the
 * probes run once per build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cc = process.env.CC || 'cc';

/** Does `source` compile and link with `flags`? */
function compiles(source, flags) {
  const dir = mkdtempSync(join(tmpdir(), 'heed-probe-'));
  try {
    const r = spawnSync(cc, ['-x', 'c', '-', '-o', join(dir, 'probe'), ...flags], {
      input: source,
      stdio: ['pipe', 'ignore', 'ignore'],
      timeout: 60_000,
    });
    return r.status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const OPENBLAS_TEST = `#include <cblas.h>
int main(void) {
  float a = 1, b = 2, c = 0;
  openblas_set_num_threads(1);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);
  return c == 2.0f ? 0 : 1;
}
`;

/** What native/pool.c needs: POSIX threads and C11 atomics. */
const POOL_TEST = `#include <pthread.h>
#include <stdatomic.h>
static _Atomic int hits;
static void *run(void *arg) { atomic_fetch_add(&hits, 1); return arg; }
int main(void) {
  pthread_t t;
  if (pthread_create(&t, NULL, run, NULL) != 0 || pthread_join(t, NULL) != 0) return 1;
  return atomic_load(&hits) == 1 ? 0 : 1;
}
`;

/** Include/library flag pairs where distributions and Homebrew put OpenBLAS. */
const OPENBLAS_PLACES = [
  [[], []],
  [['-I/usr/include/openblas'], []],
  [['-I/usr/local/include/openblas'], ['-L/usr/local/lib']],
  [['-I/opt/homebrew/opt/openblas/include'], ['-L/opt/homebrew/opt/openblas/lib']],
  [['-I/usr/local/opt/openblas/include'], ['-L/usr/local/opt/openblas/lib']],
];

/** Runs every probe; returns the extra cflags, ldflags and libraries for binding.gyp. */
function probe() {
  const cflags = [];
  const ldflags = [];
  const libs = [];
  const march = process.env.HEED_NATIVE_MARCH || 'native';
  if (compiles('int main(void) { return 0; }\n', [`-march=${march}`])) cflags.push(`-march=${march}`);
  if (process.env.HEED_NATIVE_THREADS !== '0' && compiles(POOL_TEST, ['-pthread'])) {
    cflags.push('-pthread', '-DHEED_POOL_THREADS');
    ldflags.push('-pthread');
  }
  if (process.env.HEED_NATIVE_BLAS !== '0') {
    for (const [inc, lib] of OPENBLAS_PLACES) {
      if (compiles(OPENBLAS_TEST, [...inc, ...lib, '-lopenblas'])) {
        cflags.push('-DHEED_HAVE_OPENBLAS', ...inc);
        libs.push(...lib, '-lopenblas');
        break;
      }
    }
  }
  return { cflags, ldflags, libs };
}

const ENV_KEYS = { cflags: 'HEED_PROBE_CFLAGS', ldflags: 'HEED_PROBE_LDFLAGS', libs: 'HEED_PROBE_LIBS' };

function probeMode(kind) {
  const key = ENV_KEYS[kind];
  if (key === undefined) {
    process.stderr.write(`build-native: unknown probe '${kind}'\n`);
    process.exit(1);
  }
  const cached = process.env[key];
  process.stdout.write(`${cached !== undefined ? cached : probe()[kind].join(' ')}\n`);
}

/** node-gyp: on PATH (npm lifecycle scripts put it there), npm's hint, or npm's bundled copy. */
function findNodeGyp() {
  const exe = process.platform === 'win32' ? ['node-gyp.cmd', 'node-gyp.exe'] : ['node-gyp'];
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    for (const name of exe) {
      const p = join(dir, name);
      if (dir && existsSync(p)) return { cmd: p, args: [] };
    }
  }
  const hinted = process.env.npm_config_node_gyp;
  if (hinted && existsSync(hinted)) return { cmd: process.execPath, args: [hinted] };
  const prefix = resolve(dirname(process.execPath), '..');
  for (const p of [
    join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  ]) {
    if (existsSync(p)) return { cmd: process.execPath, args: [p] };
  }
  return null;
}

/** A --nodedir with local headers, so node-gyp does not try to download them. */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include/node/node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

/** The first line of the build log that looks like the cause. */
function failureReason(log) {
  const lines = log.split('\n').map((l) => l.trim());
  const line =
    lines.find((l) => /\berror\b/i.test(l) && !/^gyp (ERR|info)/.test(l)) ||
    lines.find((l) => /^gyp ERR! (stack )?Error/.test(l)) ||
    'build failed';
  return line.length > 140 ? `${line.slice(0, 137)}...` : line;
}

function giveUp(reason) {
  process.stdout.write(`heed: native backend not built (${reason}); heed will use the js backend.\n`);
  process.exit(0);
}

function build() {
  if (process.env.HEED_SKIP_NATIVE === '1') giveUp('HEED_SKIP_NATIVE=1');
  if (!existsSync(join(root, 'binding.gyp'))) giveUp('binding.gyp missing');
  const ccCheck = spawnSync(cc, ['--version'], { stdio: 'ignore' });
  if (ccCheck.error || ccCheck.status !== 0) giveUp(`no C compiler: '${cc}' not runnable`);
  const gyp = findNodeGyp();
  if (gyp === null) giveUp('node-gyp not found');

  const found = probe();
  const env = {
    ...process.env,
    HEED_PROBE_CFLAGS: found.cflags.join(' '),
    HEED_PROBE_LDFLAGS: found.ldflags.join(' '),
    HEED_PROBE_LIBS: found.libs.join(' '),
  };
  const verbose = process.argv.includes('--verbose') || process.env.HEED_NATIVE_VERBOSE === '1';
  const r = spawnSync(gyp.cmd, [...gyp.args, 'rebuild', ...nodedirArgs()], {
    cwd: root,
    env,
    stdio: verbose ? 'inherit' : 'pipe',
    encoding: 'utf8',
    timeout: 15 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const log = `${r.stdout || ''}\n${r.stderr || ''}`;
  if (!verbose) {
    try {
      mkdirSync(join(root, 'build'), { recursive: true });
      writeFileSync(join(root, 'build', 'heed-native-build.log'), log);
    } catch {
      // The log is a convenience; failing to write it changes nothing.
    }
  }
  if (r.error) giveUp(`node-gyp did not run: ${r.error.message}`);
  if (r.status !== 0) giveUp(verbose ? `node-gyp exited with ${r.status}` : failureReason(log));

  // Load-test in a child process: a crash while loading must not take `npm install` down.
  const addonPath = join(root, 'build', 'Release', 'heed_native.node');
  const check = spawnSync(
    process.execPath,
    ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(addonPath)}).info()))`],
    { env: { ...process.env, OPENBLAS_NUM_THREADS: '1' }, encoding: 'utf8', timeout: 60_000 },
  );
  if (check.status !== 0) {
    const why = (check.stderr || '').split('\n').find((l) => /error/i.test(l)) || `exit ${check.status}`;
    giveUp(`built but does not load: ${why.trim().slice(0, 120)}`);
  }
  const info = JSON.parse(check.stdout);
  process.stdout.write(
    `heed: native backend built (gemm: ${info.gemm}, simd: ${info.simd}, threads: ${info.threads}).\n`,
  );
}

try {
  const at = process.argv.indexOf('--probe');
  if (at >= 0) probeMode(process.argv[at + 1]);
  else build();
} catch (e) {
  // Install must not fail; in probe mode an empty answer just disables the optional flags.
  if (process.argv.includes('--probe')) process.stdout.write('\n');
  else giveUp(`unexpected: ${e instanceof Error ? e.message : String(e)}`);
}
