/** Checks shared by the corpus metrics on their hypothesis and reference streams. */

import { HeedError } from '../util/errors.js';

/** Checks that there is at least one segment and that every reference stream is aligned with the hypotheses. */
export function checkStreams(
  context: string,
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
): void {
  if (hypotheses.length === 0) throw new HeedError(`${context}: no hypotheses to score`);
  if (references.length === 0) throw new HeedError(`${context}: no reference streams given`);
  references.forEach((stream, i) => {
    if (stream.length !== hypotheses.length) {
      throw new HeedError(
        `${context}: reference stream ${i + 1} has ${stream.length} segments but there are ${hypotheses.length} hypotheses`,
      );
    }
  });
}
