import { allocate, type DType } from '../tensor/tensor.js';
import { defaultGenerator, type Generator } from '../util/random.js';
import { Parameter } from './parameter.js';

/**
 * Parameter initialisers with PyTorch's defaults. They draw from the (seeded) default generator
 * unless one is given, so a seeded model is reproducible.
 */
export interface InitOptions {
  dtype?: DType;
  generator?: Generator;
}

function make(
  shape: readonly number[],
  opts: InitOptions | undefined,
  draw: (g: Generator) => number,
): Parameter {
  const gen = opts?.generator ?? defaultGenerator;
  const data = allocate(
    opts?.dtype ?? 'float32',
    shape.reduce((p, v) => p * v, 1),
  );
  for (let i = 0; i < data.length; i++) data[i] = draw(gen);
  return new Parameter(data, shape);
}

/** U(−bound, bound). */
export function uniformParam(shape: readonly number[], bound: number, opts?: InitOptions): Parameter {
  return make(shape, opts, (g) => (2 * g.uniform() - 1) * bound);
}

/** N(mean, std²). */
export function normalParam(shape: readonly number[], std = 1, mean = 0, opts?: InitOptions): Parameter {
  return make(shape, opts, (g) => mean + std * g.normal());
}

/** A constant. */
export function constantParam(shape: readonly number[], value: number, opts?: InitOptions): Parameter {
  return make(shape, opts, () => value);
}

/**
 * Xavier/Glorot uniform: U(±gain·√(6 / (fan_in + fan_out))), for a weight [fan_out, fan_in]
 * (what nn.MultiheadAttention uses for its projections).
 */
export function xavierUniformParam(shape: readonly number[], gain = 1, opts?: InitOptions): Parameter {
  const fanOut = shape[0];
  const fanIn = shape.slice(1).reduce((p, v) => p * v, 1);
  return uniformParam(shape, gain * Math.sqrt(6 / (fanIn + fanOut)), opts);
}

/**
 * nn.Linear's default: kaiming_uniform(a = √5) on the weight, which works out to
 * U(±1/√fan_in); the bias draws from the same range.
 */
export function linearInitBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}
