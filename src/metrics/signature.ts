/**
 * Reproducibility signatures in sacreBLEU 2.x's format (`metrics/base.py`, `Signature.format`):
 * `key:value` pairs joined by `|`, with the version always last. Where sacreBLEU writes its own
 * version (`version:2.6.0`), heed writes `version:heed-<heed's version>`, so a signature says
 * which implementation produced the number; every other field means what it means in sacreBLEU.
 */

/** heed's package version (package.json), as it appears in signatures. */
export const HEED_VERSION = '0.1.0';

/** The `version:` value of every heed signature. */
export const SIGNATURE_VERSION = `heed-${HEED_VERSION}`;

/**
 * Formats a signature: the given fields in order, then `version`. `nrefs` is the number of
 * references per segment, or `var` when it varies (sacreBLEU's convention).
 */
export function formatSignature(fields: ReadonlyArray<readonly [string, string | number]>): string {
  return [...fields, ['version', SIGNATURE_VERSION] as const].map(([k, v]) => `${k}:${v}`).join('|');
}
