import { attach } from '../autograd/engine.js';
import { backendFor } from '../backend/registry.js';
import { allocate, normAxis, shapeSize, Tensor } from '../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../util/errors.js';

/** Integer indices: a flat array, validated against the axis they index. */
export type Indices = Int32Array | readonly number[];

function toIndex(op: string, index: Indices, size: number): Int32Array {
  const out = index instanceof Int32Array ? index : Int32Array.from(index);
  for (let i = 0; i < out.length; i++) {
    const v = index[i];
    if (!Number.isInteger(v) || v < 0 || v >= size) {
      throw new HeedError(`${op}: index ${v} at position ${i} is out of range [0, ${size})`);
    }
  }
  return out;
}

/**
 * Rows of x picked along `axis` (torch.index_select): out has the axis resized to index.length.
 * The gradient scatter-adds g back into the picked rows (repeated indices accumulate).
 */
export function indexSelect(x: Tensor, axis: number, index: Indices): Tensor {
  const a = normAxis('indexSelect', axis, x.ndim);
  const size = x.shape[a];
  const idx = toIndex('indexSelect', index, size);
  const outer = shapeSize(x.shape.slice(0, a));
  const inner = shapeSize(x.shape.slice(a + 1));
  const shape = [...x.shape];
  shape[a] = idx.length;
  const be = backendFor(x.dtype);
  const out = allocate(x.dtype, shapeSize(shape));
  for (let o = 0; o < outer; o++) {
    be.gatherRows(
      x.data.subarray(o * size * inner, (o + 1) * size * inner),
      inner,
      idx,
      out.subarray(o * idx.length * inner, (o + 1) * idx.length * inner),
    );
  }
  return attach(new Tensor(out, shape), 'indexSelect', [x], (g) => {
    const gx = allocate(g.dtype, x.size);
    for (let o = 0; o < outer; o++) {
      be.scatterAddRows(
        g.data.subarray(o * idx.length * inner, (o + 1) * idx.length * inner),
        inner,
        idx,
        gx.subarray(o * size * inner, (o + 1) * size * inner),
      );
    }
    return [new Tensor(gx, x.shape)];
  });
}

/**
 * Embedding lookup: weight [V, D] and token ids of shape `idsShape` → [...idsShape, D].
 * An id outside [0, V) is an error naming the id and the vocabulary size. Rows looked up by
 * `paddingIdx` get no gradient (torch.nn.Embedding's padding_idx).
 */
export function embedding(
  weight: Tensor,
  ids: Indices,
  idsShape: readonly number[] = [ids.length],
  paddingIdx?: number,
): Tensor {
  if (weight.ndim !== 2)
    throw new ShapeError(`embedding: weight must be [V, D], got ${fmtShape(weight.shape)}`);
  if (shapeSize(idsShape) !== ids.length) {
    throw new ShapeError(`embedding: ${ids.length} ids do not fill shape ${fmtShape(idsShape)}`);
  }
  const [vocab, dim] = weight.shape;
  const idx = toIndex('embedding', ids, vocab);
  const be = backendFor(weight.dtype);
  const out = allocate(weight.dtype, idx.length * dim);
  be.gatherRows(weight.data, dim, idx, out);
  return attach(new Tensor(out, [...idsShape, dim]), 'embedding', [weight], (g) => {
    const gw = allocate(g.dtype, weight.size);
    if (paddingIdx === undefined) {
      be.scatterAddRows(g.data, dim, idx, gw);
    } else {
      // Send the gradient of padding positions nowhere: scatter only the other rows.
      const keep: number[] = [];
      for (let i = 0; i < idx.length; i++) if (idx[i] !== paddingIdx) keep.push(i);
      const rows = Int32Array.from(keep, (i) => idx[i]);
      const gk = allocate(g.dtype, keep.length * dim);
      be.gatherRows(g.data, dim, Int32Array.from(keep), gk);
      be.scatterAddRows(gk, dim, rows, gw);
    }
    return [new Tensor(gw, weight.shape)];
  });
}

/**
 * torch.gather along the last axis with one index per row: x [..., C], index of length
 * size/C → out [...] with out[r] = x[r, index[r]]. The building block of cross-entropy.
 */
export function pick(x: Tensor, index: Indices): Tensor {
  const cols = x.shape[x.ndim - 1];
  const rows = x.size / cols;
  if (index.length !== rows) {
    throw new ShapeError(`pick: ${index.length} indices for ${rows} rows of ${fmtShape(x.shape)}`);
  }
  const idx = toIndex('pick', index, cols);
  const flat = new Int32Array(rows);
  for (let r = 0; r < rows; r++) flat[r] = r * cols + idx[r];
  const be = backendFor(x.dtype);
  const out = allocate(x.dtype, rows);
  be.gatherRows(x.data, 1, flat, out);
  return attach(new Tensor(out, x.shape.slice(0, -1)), 'pick', [x], (g) => {
    const gx = allocate(g.dtype, x.size);
    be.scatterAddRows(g.data, 1, flat, gx);
    return [new Tensor(gx, x.shape)];
  });
}
