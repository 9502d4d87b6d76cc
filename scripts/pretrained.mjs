#!/usr/bin/env node
/**
 * Copies trained checkpoints from runs/ into pretrained/, the checkpoints shipped with the
 * package (so `heed translate`, `heed attend` and `heed serve` work right after install):
 *
 *   node scripts/pretrained.mjs            # every name below whose run exists
 *   node scripts/pretrained.mjs NAME ...   # only these
 *
 * Each must have been trained by its committed config (`heed train configs/NAME.json`): the
 * config stored in the checkpoint must equal configs/NAME.json, or the copy is refused. Only
 * what loading needs is copied (config, weights, tokenizers, vocabularies, labels, training
 * summary), not logs or pictures. The whole directory must stay within 30 MB.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

const ROOT = new URL('..', import.meta.url).pathname;
const OUT = join(ROOT, 'pretrained');
const LIMIT = 30e6;
const SHIPPED = [
  'dates-gru-additive',
  'enfr-rnn-additive',
  'spam-attentive',
  'moby-gpt',
  'moby-attentive-rnn',
];
const KEEP = /^(config|training|labels|.*tokenizer|.*vocab)\.json$|^model\.safetensors$/;

function fail(message) {
  process.stderr.write(`pretrained: ${message}\n`);
  process.exit(1);
}

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : SHIPPED;
for (const name of names) {
  const run = join(ROOT, 'runs', name);
  const configPath = join(ROOT, 'configs', `${name}.json`);
  if (!existsSync(configPath)) fail(`no config configs/${name}.json`);
  if (!existsSync(join(run, 'training.json'))) {
    process.stderr.write(
      `pretrained: skipping ${name}: runs/${name} holds no finished run (heed train configs/${name}.json)\n`,
    );
    continue;
  }
  const stored = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')).config;
  const committed = JSON.parse(readFileSync(configPath, 'utf8'));
  if (!isDeepStrictEqual(stored, committed)) {
    fail(`runs/${name} was trained from a config that differs from configs/${name}.json; retrain it`);
  }
  const dest = join(OUT, name);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const files = readdirSync(run).filter((f) => KEEP.test(f));
  for (const f of files) copyFileSync(join(run, f), join(dest, f));
  process.stdout.write(`pretrained/${name}: ${files.join(', ')}\n`);
}

let total = 0;
for (const dir of readdirSync(OUT)) {
  const d = join(OUT, dir);
  if (!statSync(d).isDirectory()) continue;
  for (const f of readdirSync(d)) total += statSync(join(d, f)).size;
}
process.stdout.write(`pretrained/: ${(total / 1e6).toFixed(1)} MB in all (limit ${LIMIT / 1e6} MB)\n`);
if (total > LIMIT) fail(`pretrained/ is ${(total / 1e6).toFixed(1)} MB, over the ${LIMIT / 1e6} MB limit`);
writeFileSync(join(OUT, '.gitattributes'), '*.safetensors binary\n');
