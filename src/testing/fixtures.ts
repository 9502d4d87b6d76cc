import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromArray } from '../ops/creation.js';
import { Mask } from '../tensor/mask.js';
import type { DType, Tensor } from '../tensor/tensor.js';

/** A stored array: shape and flat row-major values. */
interface Stored {
  shape: number[];
  data: number[];
}

/** One golden case written by scripts/fixtures/generate.py (see test/fixtures/README.md). */
export interface Fixture {
  case: string;
  torch: string;
  config: Record<string, unknown>;
  params: Record<string, Stored>;
  inputs: Record<string, Stored>;
  intInputs?: Record<string, Stored>;
  masks?: Record<string, Stored>;
  outputs: Record<string, Stored>;
  seedGrads: Record<string, Stored>;
  grads: Record<string, Stored>;
}

const fixtureDir = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

/** Reads test/fixtures/<name>.json. */
export function loadFixture(name: string): Fixture {
  return JSON.parse(readFileSync(`${fixtureDir}${name}.json`, 'utf8')) as Fixture;
}

/** A stored float array as a tensor (float32 by default: what the native backend runs). */
export function storedTensor(s: Stored, dtype: DType = 'float32', requiresGrad = false): Tensor {
  return fromArray(s.data, s.shape, { dtype, requiresGrad });
}

/** A stored 0/1 array as a Mask. */
export function storedMask(s: Stored): Mask {
  return new Mask(Uint8Array.from(s.data), s.shape);
}

/** A stored integer array. */
export function storedInts(s: Stored): Int32Array {
  return Int32Array.from(s.data);
}

/** The named entry of a fixture section, with a clear failure when the generator did not write it. */
export function entry(section: Record<string, Stored> | undefined, key: string, where: string): Stored {
  const s = section?.[key];
  if (s === undefined) throw new Error(`fixture ${where}: no entry '${key}'`);
  return s;
}
