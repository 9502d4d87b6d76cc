#!/usr/bin/env node
/**
 * Rebuild every shipped corpus in data/ (see scripts/corpora/README.md):
 *
 *   node scripts/corpora/all.mjs
 *
 * Runs libreoffice-help.mjs, spam-assassin.mjs and moby-dick.mjs one after the other, then
 * prints the size and sha256 of every data file and fails if the total exceeds the budget.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cmp, fmtBytes, root, sha256 } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SCRIPTS = ['libreoffice-help.mjs', 'spam-assassin.mjs', 'moby-dick.mjs'];
const BUDGET = 8 * 1024 * 1024;

const t0 = Date.now();
for (const s of SCRIPTS) {
  const r = spawnSync(process.execPath, [join(here, s)], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${s} failed (exit ${r.status})`);
    process.exit(1);
  }
}

const files = [];
const walk = (d) => {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) walk(p);
    else files.push(p);
  }
};
walk(join(root, 'data'));
files.sort(cmp);
let total = 0;
for (const f of files) {
  const size = statSync(f).size;
  total += size;
  console.log(`${sha256(readFileSync(f))}  ${String(size).padStart(9)}  ${relative(root, f)}`);
}
console.log(`total ${fmtBytes(total)} in ${files.length} files; ${((Date.now() - t0) / 1000).toFixed(0)} s`);
if (total > BUDGET) {
  console.error(`data/ exceeds the ${fmtBytes(BUDGET)} budget`);
  process.exit(1);
}
