import { attach } from '../autograd/engine.js';
import { backendFor } from '../backend/registry.js';
import { allocateUninit, Tensor } from '../tensor/tensor.js';
import { HeedError } from '../util/errors.js';
import { defaultGenerator, type Generator } from '../util/random.js';

/**
 * Inverted dropout: each element is zeroed with probability p and the survivors scaled by
 * 1/(1−p), so evaluation needs no rescaling. Identity when not training or p = 0. The mask is
 * drawn from the (seeded) generator, so runs repeat exactly.
 *
 * One op, y = x ⊙ m with m ∈ {0, 1/(1−p)}, whose backward is g ⊙ m: the same function and
 * values as mul(x, m), but the mask is the op's own saved tensor, released with the graph.
 */
export function dropout(
  x: Tensor,
  p: number,
  training = true,
  generator: Generator = defaultGenerator,
): Tensor {
  if (!(p >= 0 && p < 1)) throw new HeedError(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const scale = 1 / (1 - p);
  const m = allocateUninit(x.dtype, x.size);
  generator.fillMask(m, p, scale);
  const mask = new Tensor(m, x.shape);
  const be = backendFor(x.dtype);
  const out = allocateUninit(x.dtype, x.size);
  be.binary('mul', x.data, x.shape, m, x.shape, out, x.shape);
  return attach(
    new Tensor(out, x.shape),
    'dropout',
    [x],
    (g) => {
      const gx = allocateUninit(g.dtype, g.size);
      backendFor(g.dtype).binary('mul', g.data, g.shape, mask.data, mask.shape, gx, g.shape);
      return [new Tensor(gx, x.shape)];
    },
    [mask],
  );
}
