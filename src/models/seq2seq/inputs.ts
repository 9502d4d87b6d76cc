import { Mask } from '../../tensor/mask.js';
import { HeedError } from '../../util/errors.js';

/**
 * A padded batch of token ids as the models read it: `ids` row-major [B, T] (`shape`), and for a
 * source the real length of each row (a missing `lengths` means every row is T long). The
 * `PaddedBatch` of src/data/batching.ts is one.
 */
export interface TokenBatch {
  ids: Int32Array | readonly number[];
  shape: readonly [number, number] | readonly number[];
  lengths?: ArrayLike<number>;
}

/** A checked batch: its two sizes, and the lengths (all T when none were given). */
export interface CheckedTokens {
  batch: number;
  steps: number;
  lengths: Int32Array;
}

/**
 * Checks a token batch at a model's boundary, so a bad id or an empty sequence is one line that
 * names the side, the row and the position (rather than an error deep in an op):
 *   `Seq2Seq: source token id 12 at row 0, position 3 is not in [0, 10) (srcVocabSize 10)`.
 * With `needLengths` every row must have a length in [1, T] (an empty source has nothing to
 * attend to and no final encoder state).
 */
export function checkTokens(
  model: string,
  side: 'source' | 'target',
  tokens: TokenBatch,
  vocabSize: number,
  vocabName: string,
): CheckedTokens {
  const { ids, shape } = tokens;
  if (shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new HeedError(`${model}: ${side} shape [${shape.join(', ')}] must be [B, T]`);
  }
  const [batch, steps] = shape;
  if (batch === 0) throw new HeedError(`${model}: the ${side} batch is empty (B = 0)`);
  if (steps === 0) throw new HeedError(`${model}: the ${side} sequences are empty (T = 0)`);
  if (ids.length !== batch * steps) {
    throw new HeedError(`${model}: ${ids.length} ${side} ids do not fill shape [${batch}, ${steps}]`);
  }
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new HeedError(
        `${model}: ${side} token id ${id} at row ${Math.floor(i / steps)}, position ${i % steps} is not in [0, ${vocabSize}) (${vocabName} ${vocabSize})`,
      );
    }
  }
  const lengths = new Int32Array(batch).fill(steps);
  if (tokens.lengths !== undefined) {
    if (tokens.lengths.length !== batch) {
      throw new HeedError(`${model}: ${tokens.lengths.length} ${side} lengths for a batch of ${batch}`);
    }
    for (let b = 0; b < batch; b++) {
      const n = tokens.lengths[b];
      if (n === 0) throw new HeedError(`${model}: ${side} row ${b} is empty (length 0)`);
      if (!Number.isInteger(n) || n < 0 || n > steps) {
        throw new HeedError(`${model}: ${side} length ${n} of row ${b} is not an integer in [1, ${steps}]`);
      }
      lengths[b] = n;
    }
  }
  return { batch, steps, lengths };
}

/** The source padding mask [B, 1, Ts], true at real tokens (attention's "allowed"). */
export function sourceMask(lengths: Int32Array, steps: number): Mask {
  const data = new Uint8Array(lengths.length * steps);
  for (let b = 0; b < lengths.length; b++) data.fill(1, b * steps, b * steps + lengths[b]);
  return new Mask(data, [lengths.length, 1, steps]);
}

/** Rows of a mask [B, …] picked (and repeated) by `rows`. */
export function selectMaskRows(mask: Mask, rows: Int32Array): Mask {
  const inner = mask.size / mask.shape[0];
  const out = new Uint8Array(rows.length * inner);
  for (let i = 0; i < rows.length; i++) {
    out.set(mask.data.subarray(rows[i] * inner, (rows[i] + 1) * inner), i * inner);
  }
  return new Mask(out, [rows.length, ...mask.shape.slice(1)]);
}

/** Checks the `rows` of a selectRows call against the current number of rows. */
export function checkRows(model: string, rows: Int32Array, count: number): void {
  for (let i = 0; i < rows.length; i++) {
    if (!Number.isInteger(rows[i]) || rows[i] < 0 || rows[i] >= count) {
      throw new HeedError(`${model}.selectRows: row ${rows[i]} at position ${i} is not in [0, ${count})`);
    }
  }
}
