import { readFileSync } from 'node:fs';
import { type BleuScore, bleuVerbose, corpusBleu, formatBleu } from '../../metrics/bleu.js';
import { type ChrfScore, corpusChrf, formatChrf } from '../../metrics/chrf.js';
import { pyFixed, pyRstrip } from '../../metrics/python-text.js';
import { SIGNATURE_VERSION } from '../../metrics/signature.js';
import {
  BLEU_TOKENIZER_NAMES,
  type BleuTokenizerName,
  parseBleuTokenizer,
} from '../../metrics/tokenizers.js';
import { HeedError } from '../../util/errors.js';
import type { Command } from '../command.js';

const USAGE = 'heed bleu HYP_FILE REF_FILE... [--tokenize=13a|none|char] [--lowercase] [--json]';

interface BleuArgs {
  hypFile: string;
  refFiles: string[];
  tokenize: BleuTokenizerName;
  lowercase: boolean;
  json: boolean;
}

function parseArgs(args: readonly string[]): BleuArgs {
  const files: string[] = [];
  let tokenize: BleuTokenizerName = '13a';
  let lowercase = false;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--lowercase' || a === '-lc') lowercase = true;
    else if (a === '--json') json = true;
    else if (a === '--tokenize' || a === '-tok') {
      const v = args[++i];
      if (v === undefined)
        throw new HeedError(`bleu: ${a} needs a value: ${BLEU_TOKENIZER_NAMES.join(', ')}`);
      tokenize = parseBleuTokenizer(v, 'bleu');
    } else if (a.startsWith('--tokenize='))
      tokenize = parseBleuTokenizer(a.slice('--tokenize='.length), 'bleu');
    else if (a.startsWith('-') && a !== '-')
      throw new HeedError(`bleu: unknown option '${a}'; usage: ${USAGE}`);
    else files.push(a);
  }
  const [hypFile, ...refFiles] = files;
  if (hypFile === undefined || refFiles.length === 0) {
    throw new HeedError(`bleu: needs a hypothesis file and at least one reference file; usage: ${USAGE}`);
  }
  return { hypFile, refFiles, tokenize, lowercase, json };
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/**
 * Reads a text file as sacreBLEU does: UTF-8 (strictly; a byte-order mark stays part of the
 * first line, as with Python's 'utf-8' codec), one segment per '\n'-terminated line, each
 * right-stripped. A final newline ends the last line; it does not start an empty one.
 */
function readSegments(path: string, role: 'HYP_FILE' | 'REF_FILE'): string[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    const why = READ_ERRORS[code] ?? (err instanceof Error ? err.message : String(err));
    throw new HeedError(`bleu: cannot read ${role} '${path}' (${why})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new HeedError(`bleu: cannot read ${role} '${path}' (not valid UTF-8)`);
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map(pyRstrip);
}

function signatureFields(signature: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of signature.split('|')) {
    const at = pair.indexOf(':');
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/** sacreBLEU's JSON record for a BLEU score, then heed's unrounded statistics. */
function bleuJson(s: BleuScore): Record<string, unknown> {
  return {
    name: s.name,
    score: Number(pyFixed(s.score, 2)),
    signature: s.signature,
    verbose_score: bleuVerbose(s),
    ...signatureFields(s.signature),
    score_exact: s.score,
    counts: s.counts,
    totals: s.totals,
    precisions: s.precisions,
    bp: s.bp,
    ratio: s.ratio,
    hyp_len: s.sysLen,
    ref_len: s.refLen,
  };
}

/** sacreBLEU's JSON record for a chrF score, then heed's unrounded score and statistics. */
function chrfJson(s: ChrfScore): Record<string, unknown> {
  return {
    name: s.name,
    score: Number(pyFixed(s.score, 2)),
    signature: s.signature,
    ...signatureFields(s.signature),
    score_exact: s.score,
    stats: s.stats,
  };
}

export const bleuCommand: Command = {
  name: 'bleu',
  summary: 'score a translation file with BLEU and chrF, as sacreBLEU does',
  help: `Usage: ${USAGE}

Scores HYP_FILE (one segment per line) against one or more REF_FILEs (each aligned line by
line with HYP_FILE) with corpus BLEU and chrF2, computed as sacreBLEU 2.x computes them by
default, and prints each score with its reproducibility signature:

  BLEU = 26.75 60.2/33.1/20.4/12.9 (BP = 1.000 ratio = 1.012 hyp_len = 1234 ref_len = 1219)
  nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:${SIGNATURE_VERSION}
  chrF2 = 54.32
  nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:${SIGNATURE_VERSION}

The figures after the BLEU score are the 1- to 4-gram precisions, the brevity penalty and the
hypothesis/reference length ratio. Signatures read as sacreBLEU's, except that the version
field names heed (version:heed-X.Y.Z) instead of a sacreBLEU release.

Options:
  --tokenize=NAME  BLEU tokenizer: 13a (default; mteval-v13a), none (split on whitespace only),
                   char (every character a token). chrF does not tokenize. Also -tok NAME.
  --lowercase      lowercase hypotheses and references first (case:lc), for BLEU and chrF
                   (sacreBLEU's -lc and --chrf-lowercase together). Also -lc.
  --json           print a JSON list of two records with sacreBLEU's fields (name, score rounded
                   to 2 decimals, signature, verbose_score, the signature's fields) followed by
                   heed's unrounded score_exact and statistics.`,
  async run(args) {
    const a = parseArgs(args);
    const hyps = readSegments(a.hypFile, 'HYP_FILE');
    const refs = a.refFiles.map((f) => readSegments(f, 'REF_FILE'));
    refs.forEach((r, i) => {
      if (r.length !== hyps.length) {
        throw new HeedError(
          `bleu: HYP_FILE '${a.hypFile}' has ${hyps.length} lines but REF_FILE '${a.refFiles[i]}' has ${r.length}`,
        );
      }
    });
    if (hyps.length === 0) throw new HeedError(`bleu: HYP_FILE '${a.hypFile}' is empty; nothing to score`);

    const bleu = corpusBleu(hyps, refs, { tokenize: a.tokenize, lowercase: a.lowercase });
    const chrf = corpusChrf(hyps, refs, { lowercase: a.lowercase });
    if (a.json) {
      const records = [bleuJson(bleu), chrfJson(chrf)].map((r) => JSON.stringify(r, null, 1));
      process.stdout.write(`[\n${records.join(',\n')}\n]\n`);
    } else {
      process.stdout.write(
        `${formatBleu(bleu)}\n${bleu.signature}\n${formatChrf(chrf)}\n${chrf.signature}\n`,
      );
    }
    return 0;
  },
};
