import { allocate, Tensor } from '../tensor/tensor.js';
import { HeedError } from '../util/errors.js';
import { defaultGenerator, type Generator } from '../util/random.js';
import { mul } from './binary.js';

/**
 * Inverted dropout: each element is zeroed with probability p and the survivors scaled by
 * 1/(1−p), so evaluation needs no rescaling. Identity when not training or p = 0. The mask is
 * drawn from the (seeded) generator, so runs repeat exactly.
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
  const m = allocate(x.dtype, x.size);
  for (let i = 0; i < m.length; i++) m[i] = generator.uniform() < p ? 0 : scale;
  return mul(x, new Tensor(m, x.shape));
}
