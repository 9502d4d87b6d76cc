import { allocate, type DType, type NestedArray, shapeSize, Tensor } from '../tensor/tensor.js';
import { HeedError } from '../util/errors.js';
import { defaultGenerator, type Generator } from '../util/random.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

function finish(t: Tensor, opts: CreateOptions | undefined): Tensor {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

/** A tensor from nested arrays (or one number, giving a 0-d tensor); rows must be rectangular. */
export function tensor(values: NestedArray, opts?: CreateOptions): Tensor {
  const shape: number[] = [];
  let probe: NestedArray = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const data = allocate(opts?.dtype ?? 'float32', shapeSize(shape));
  let k = 0;
  const fill = (v: NestedArray, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number') throw new HeedError(`tensor: element ${path} is not a number`);
      data[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new HeedError(
        `tensor: ragged nested array at ${path || 'top level'}: expected length ${shape[dim]}`,
      );
    }
    for (let i = 0; i < v.length; i++) fill(v[i], dim + 1, `${path}[${i}]`);
  };
  fill(values, 0, '');
  return finish(new Tensor(data, shape), opts);
}

/** A tensor over existing flat values (copied into the requested element type). */
export function fromArray(values: ArrayLike<number>, shape: readonly number[], opts?: CreateOptions): Tensor {
  const data = allocate(opts?.dtype ?? 'float32', values.length);
  data.set(values);
  return finish(new Tensor(data, shape), opts);
}

export function full(shape: readonly number[], value: number, opts?: CreateOptions): Tensor {
  const data = allocate(opts?.dtype ?? 'float32', shapeSize(shape));
  if (value !== 0) data.fill(value);
  return finish(new Tensor(data, shape), opts);
}

export function zeros(shape: readonly number[], opts?: CreateOptions): Tensor {
  return full(shape, 0, opts);
}

export function ones(shape: readonly number[], opts?: CreateOptions): Tensor {
  return full(shape, 1, opts);
}

export function zerosLike(x: Tensor): Tensor {
  return zeros(x.shape, { dtype: x.dtype });
}

export function onesLike(x: Tensor): Tensor {
  return ones(x.shape, { dtype: x.dtype });
}

/** Values start, start+step, … below end (like torch.arange). */
export function arange(start: number, end?: number, step = 1, opts?: CreateOptions): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0) throw new HeedError('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const data = allocate(opts?.dtype ?? 'float32', n);
  for (let i = 0; i < n; i++) data[i] = lo + i * step;
  return finish(new Tensor(data, [n]), opts);
}

export interface RandomOptions extends CreateOptions {
  generator?: Generator;
}

/** Normal samples, mean 0 and std 1 unless given (seeded through the generator). */
export function randn(
  shape: readonly number[],
  opts?: RandomOptions & { mean?: number; std?: number },
): Tensor {
  const gen = opts?.generator ?? defaultGenerator;
  const mean = opts?.mean ?? 0;
  const std = opts?.std ?? 1;
  const data = allocate(opts?.dtype ?? 'float32', shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = mean + std * gen.normal();
  return finish(new Tensor(data, shape), opts);
}

/** Uniform samples in [low, high), default [0, 1). */
export function rand(
  shape: readonly number[],
  opts?: RandomOptions & { low?: number; high?: number },
): Tensor {
  const gen = opts?.generator ?? defaultGenerator;
  const low = opts?.low ?? 0;
  const high = opts?.high ?? 1;
  const data = allocate(opts?.dtype ?? 'float32', shapeSize(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * gen.uniform();
  return finish(new Tensor(data, shape), opts);
}
