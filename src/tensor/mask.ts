import { fmtShape, HeedError } from '../util/errors.js';
import { shapeSize } from './tensor.js';

/** A boolean tensor (one byte per element): attention masks, `where` conditions, padding. */
export class Mask {
  readonly data: Uint8Array;
  readonly shape: readonly number[];

  constructor(data: Uint8Array, shape: readonly number[]) {
    if (data.length !== shapeSize(shape)) {
      throw new HeedError(`Mask: ${data.length} values do not fill shape ${fmtShape(shape)}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  get size(): number {
    return this.data.length;
  }

  /** A mask from nested arrays of booleans (or 0/1 numbers). */
  static from(values: NestedBool): Mask {
    const shape: number[] = [];
    let probe: NestedBool = values;
    while (Array.isArray(probe)) {
      shape.push(probe.length);
      if (probe.length === 0) break;
      probe = probe[0];
    }
    const flat: number[] = [];
    const walk = (v: NestedBool, dim: number): void => {
      if (dim === shape.length) {
        if (Array.isArray(v)) throw new HeedError('Mask.from: ragged nested array');
        flat.push(v ? 1 : 0);
        return;
      }
      if (!Array.isArray(v) || v.length !== shape[dim]) throw new HeedError('Mask.from: ragged nested array');
      for (const e of v) walk(e, dim + 1);
    };
    walk(values, 0);
    return new Mask(Uint8Array.from(flat), shape);
  }

  /** Element-wise NOT. */
  not(): Mask {
    return new Mask(
      this.data.map((v) => (v ? 0 : 1)),
      this.shape,
    );
  }

  toArray(): NestedBool {
    const build = (dim: number, offset: number): NestedBool => {
      if (dim === this.shape.length) return this.data[offset] === 1;
      const stride = shapeSize(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }
}

export type NestedBool = boolean | number | NestedBool[];
