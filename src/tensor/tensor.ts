import { type BackwardOptions, backward } from '../autograd/engine.js';
import type { FloatArray } from '../backend/backend.js';
import { fmtShape, HeedError, ShapeError } from '../util/errors.js';
import { allocatePooled, isPoolable, markEscaped, releaseBuffer } from './pool.js';

export type DType = 'float32' | 'float64';

/** A nested array of numbers, as `toArray()` returns and `tensor()` accepts. */
export type NestedArray = number | NestedArray[];

/**
 * A node of the autograd graph: the op that made a tensor, its inputs, and the rule that turns
 * the output gradient into one gradient per input (null where an input needs none).
 */
export interface GradFn {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  backward(grad: Tensor): readonly (Tensor | null)[];
  /**
   * Tensors the op made for its backward alone (e.g. cross-entropy's log-probabilities): no one
   * else holds them, so releasing the graph releases them too.
   */
  readonly saved?: readonly Tensor[];
}

/** Marks a constructor call from {@link tensorAdopting}; not exported, so no one else can pass it. */
const ADOPT: unique symbol = Symbol('adopt');

/** Empties a tensor's data slot (set in Tensor's static block, the only code that can). */
let takeData: (t: Tensor) => FloatArray | null;

/**
 * An n-dimensional array of float32 (or, on the js backend, float64) values, contiguous and
 * row-major, with an optional place in the autograd graph.
 */
export class Tensor {
  /** The values, or null once the tensor was released ({@link releaseTensors}). */
  #data: FloatArray | null;
  readonly shape: readonly number[];
  /** Whether gradients flow to this tensor. Leaves set it; op outputs inherit it. */
  requiresGrad = false;
  /** The accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | null = null;
  /** The op that produced this tensor; null for leaves. */
  gradFn: GradFn | null = null;

  /**
   * Wraps `data` (not copied) in a tensor of the given shape, which is validated, copied and
   * frozen. `adopt` is module-private: only {@link tensorAdopting} can pass it.
   */
  constructor(data: FloatArray, shape: readonly number[], adopt?: typeof ADOPT) {
    this.#data = data;
    if (adopt === ADOPT) {
      this.shape = shape;
      return;
    }
    const size = shapeSize(shape);
    if (data.length !== size) {
      throw new ShapeError(
        `Tensor: ${data.length} values do not fill shape ${fmtShape(shape)} (${size} needed)`,
      );
    }
    this.shape = Object.freeze([...shape]);
  }

  static {
    takeData = (t) => {
      const d = t.#data;
      t.#data = null;
      return d;
    };
  }

  /**
   * The values, row-major. Throws once the tensor was released: its buffer may hold another
   * tensor's values by then, so a read must fail rather than see them.
   */
  get data(): FloatArray {
    const d = this.#data;
    if (d === null) {
      throw new HeedError(
        `a tensor of shape ${fmtShape(this.shape)} was used after it was released (backward's ` +
          "releaseGraph, or a gradient dropped by zeroGrad's release): retain what you still need",
      );
    }
    return d;
  }

  /** Whether the tensor was released (its data then throws). */
  get released(): boolean {
    return this.#data === null;
  }

  get dtype(): DType {
    return this.data instanceof Float64Array ? 'float64' : 'float32';
  }

  get ndim(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.data.length;
  }

  /** Marks a leaf as requiring gradients (returns this, like torch's requires_grad_). */
  requireGrad(flag = true): this {
    this.requiresGrad = flag;
    return this;
  }

  /**
   * A tensor sharing this data but cut from the graph. The buffer is then never pooled, as the
   * detached tensor may outlive a release of the graph.
   */
  detach(): Tensor {
    const d = this.data;
    markEscaped(d.buffer);
    return new Tensor(d, this.shape);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError(
        `item: tensor of shape ${fmtShape(this.shape)} has ${this.size} values, expected 1`,
      );
    }
    return this.data[0];
  }

  /** The values as nested arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return this.data[offset];
      const n = this.shape[dim];
      const stride = shapeSize(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /**
   * Reverse-mode differentiation from this tensor: leaf gradients accumulate into `.grad`.
   * A non-scalar output needs a seed gradient of its own shape.
   */
  backward(seed?: Tensor, options?: BackwardOptions): void {
    backward(this, seed, options);
  }

  /** Sets `grad` back to null (gradients accumulate across backward calls otherwise). */
  zeroGrad(): void {
    this.grad = null;
  }

  toString(): string {
    const dtype = this.released ? 'released' : this.dtype;
    return `Tensor(${fmtShape(this.shape)}, ${dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

/**
 * A tensor that adopts `shape` as is, for an op's output on a hot path: no validation, copy or
 * freeze. The caller guarantees `shape` is a frozen array of valid dimensions whose product is
 * data.length (another tensor's shape, or one the op froze; frozen arrays can be shared).
 * On Node 20 copying and freezing a fresh shape costs ~80 ns, about as much as a 16×16 GEMM.
 */
export function tensorAdopting(data: FloatArray, shape: readonly number[]): Tensor {
  return new Tensor(data, shape, ADOPT);
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`shape ${fmtShape(shape)}: dimensions must be non-negative integers`);
    }
    n *= d;
  }
  return n;
}

/**
 * Allocates a zero-filled array of the given element type. Large float32 arrays come from the
 * buffer pool (pool.ts) when a released graph left one of the right class.
 */
export function allocate(dtype: DType, size: number): FloatArray {
  if (dtype === 'float64') return new Float64Array(size);
  if (size > SLAB_MAX) return allocatePooled(size);
  return size > SLAB_MIN ? slabFloat32(size) : new Float32Array(size);
}

/**
 * Allocates an array for an output the caller overwrites in full before anything reads it: as
 * {@link allocate}, but a buffer from the pool is not zero-filled first, so it may hold a
 * released tensor's values. Zero-filling is a pass over memory that such an output pays twice.
 */
export function allocateUninit(dtype: DType, size: number): FloatArray {
  if (poisonUninit) return allocate(dtype, size).fill(Number.NaN);
  return dtype === 'float32' && size > SLAB_MAX ? allocatePooled(size, false) : allocate(dtype, size);
}

let poisonUninit = false;

/**
 * Makes {@link allocateUninit} fill every array it returns with NaN (any size) while `on`, so that
 * an op which leaves part of such an output unwritten shows it in its results. Returns the
 * previous setting. For tests.
 */
export function setUninitPoison(on: boolean): boolean {
  const previous = poisonUninit;
  poisonUninit = on;
  return previous;
}

/**
 * Releases tensors whose values no one will read again (a finished step's graph): each one's
 * data then throws, and each large buffer allocate() made goes back to the pool unless it is in
 * `keep` (the buffers of tensors that live on: leaves, gradients, constants, retained outputs).
 * A buffer several released tensors share (views) is given back once.
 */
export function releaseTensors(tensors: Iterable<Tensor>, keep: ReadonlySet<ArrayBufferLike>): void {
  const given = new Set<ArrayBufferLike>();
  for (const t of tensors) {
    const d = takeData(t);
    if (d === null) continue;
    t.gradFn = null;
    t.grad = null;
    const buf = d.buffer;
    if (keep.has(buf) || given.has(buf) || !isPoolable(buf)) continue;
    given.add(buf);
    releaseBuffer(buf);
  }
}

/*
 * Small float32 outputs are views into 64 KiB slabs handed out by a bump pointer. V8 allocates a
 * typed array above 64 bytes off-heap, which costs ~0.6 µs, as much as a small op's kernel; a
 * view into a slab costs ~0.17 µs. Slab memory is never reused (the pointer only moves on), so
 * a view starts zeroed like a fresh array, and a slab is freed when its last view is. Arrays of
 * up to 16 floats stay on V8's heap, which is cheaper still.
 */
const SLAB_BYTES = 1 << 16;
const SLAB_MIN = 16;
const SLAB_MAX = 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

function slabFloat32(size: number): Float32Array {
  const bytes = size * 4;
  if (slabUsed + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const view = new Float32Array(slab, slabUsed, size);
  slabUsed += bytes;
  return view;
}

/** Row-major strides of a contiguous shape, in elements. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/** Resolves a possibly negative axis against a rank, with an error naming the op. */
export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= Math.max(rank, 1)) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return a;
}

/** Throws unless a value is a Tensor (guards the public API against plain arrays). */
export function assertTensor(op: string, name: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new HeedError(`${op}: ${name} must be a Tensor`);
}
