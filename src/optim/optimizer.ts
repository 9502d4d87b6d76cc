import type { FloatArray } from '../backend/backend.js';
import type { Parameter } from '../nn/parameter.js';
import { allocate, releaseTensors, Tensor } from '../tensor/tensor.js';
import { fmtShape, HeedError } from '../util/errors.js';
import { type Validator, v, validate } from '../util/validate.js';

/** Hyperparameters every optimizer has. */
export interface BaseOptions {
  /** Learning rate η. */
  lr: number;
}

/**
 * A set of parameters sharing hyperparameters (PyTorch's param_groups). `lrScale` multiplies
 * whatever learning rate a scheduler or `optimizer.lr = …` sets, so groups keep their ratio
 * (e.g. 0.1 for embeddings fine-tuned more gently).
 */
export interface ParamGroup<O extends BaseOptions> {
  readonly params: readonly Parameter[];
  options: O;
  lrScale: number;
}

/** What the constructors take for one group: its parameters and any options to override. */
export type ParamGroupInput<O extends BaseOptions> = {
  params: readonly Parameter[];
  lrScale?: number;
} & Partial<O>;

/** A flat list of parameters (one group) or several groups. */
export type ParamsInput<O extends BaseOptions> = readonly Parameter[] | readonly ParamGroupInput<O>[];

/** What an optimizer keeps for one parameter: its step count and named buffers. */
export interface ParamState {
  step: number;
  buffers: Map<string, FloatArray>;
}

/** The JSON part of an optimizer's state (optimizer.json in a checkpoint). */
export interface OptimizerStateJson {
  kind: string;
  /** Options of each group and the indices of its parameters (in `params()` order). */
  groups: { options: Record<string, unknown>; lrScale: number; params: number[] }[];
  /** One entry per parameter that has state: its index, step count and buffer names. */
  state: { param: number; step: number; buffers: string[] }[];
}

/**
 * An optimizer's full state: JSON plus the buffers as tensors named `<param index>.<buffer>`
 * (e.g. `3.exp_avg`, PyTorch's buffer names), shaped like their parameters. The tensors share
 * the optimizer's buffers: copy them to keep a snapshot while training continues.
 */
export interface OptimizerState {
  json: OptimizerStateJson;
  tensors: Map<string, Tensor>;
}

/**
 * The base of SGD, Adam and AdamW: parameter groups, per-parameter state, zeroGrad and the
 * (de)serialisation of state. A subclass supplies the update of one parameter, which calls one
 * kernel from kernels.ts over the raw arrays.
 */
export abstract class Optimizer<O extends BaseOptions> {
  /** 'sgd', 'adam', 'adamw': checked when state is loaded. */
  abstract readonly kind: string;
  readonly groups: ParamGroup<O>[];
  protected readonly state = new Map<Parameter, ParamState>();

  constructor(
    params: ParamsInput<O>,
    defaults: O,
    private readonly schema: Validator<O>,
  ) {
    const inputs = isParameterList(params)
      ? [{ params, lrScale: 1, overrides: {} }]
      : params.map(({ params: ps, lrScale, ...overrides }) => ({
          params: ps,
          lrScale: lrScale ?? 1,
          overrides,
        }));
    if (inputs.every((g) => g.params.length === 0)) {
      throw new HeedError(`${this.constructor.name}: no parameters to optimize (an empty list)`);
    }
    const seen = new Set<Parameter>();
    this.groups = inputs.map(({ params: ps, lrScale, overrides }, gi) => {
      for (const p of ps) {
        if (seen.has(p)) {
          throw new HeedError(`${this.constructor.name}: a parameter appears twice (group ${gi})`);
        }
        seen.add(p);
      }
      const root = inputs.length === 1 ? 'options' : `group ${gi}`;
      const options = validate(schema, { ...defaults, ...overrides }, this.constructor.name, root);
      this.checkOptions(options, gi);
      if (!(lrScale >= 0)) throw new HeedError(`${this.constructor.name}: group ${gi} lrScale must be >= 0`);
      return { params: [...ps], options, lrScale };
    });
  }

  /** Extra checks of one group's options beyond their schema (e.g. Nesterov needs momentum). */
  protected checkOptions(_options: O, _group: number): void {}

  /** The learning rate of the first group. */
  get lr(): number {
    return this.groups[0].options.lr;
  }

  /** Sets every group's learning rate to `lr` times its `lrScale`. */
  set lr(lr: number) {
    if (!(lr >= 0)) throw new HeedError(`${this.constructor.name}: lr must be a number >= 0, got ${lr}`);
    for (const g of this.groups) g.options.lr = lr * g.lrScale;
  }

  /** Every parameter, group by group (the indices used in the state). */
  params(): Parameter[] {
    return this.groups.flatMap((g) => g.params);
  }

  /**
   * Clears every parameter's gradient. With `release`, the gradients' buffers go back to
   * allocate()'s pool for the next backward to reuse, and the old gradient tensors become
   * unreadable: for a training loop that keeps no gradient past the step (the Trainer).
   */
  zeroGrad(options: { release?: boolean } = {}): void {
    const old: Tensor[] = [];
    for (const g of this.groups) {
      for (const p of g.params) {
        if (p.grad !== null && options.release) old.push(p.grad);
        p.grad = null;
      }
    }
    if (old.length > 0) releaseTensors(old, new Set(this.params().map((p) => p.data.buffer)));
  }

  /** One update of every parameter that has a gradient (others are skipped, as in PyTorch). */
  step(): void {
    for (const group of this.groups) {
      for (const p of group.params) {
        const grad = p.grad;
        if (grad === null) continue;
        if (grad.size !== p.size) {
          throw new HeedError(
            `${this.constructor.name}.step: gradient ${fmtShape(grad.shape)} does not match parameter ${fmtShape(p.shape)}`,
          );
        }
        let st = this.state.get(p);
        if (st === undefined) {
          st = { step: 0, buffers: new Map() };
          this.state.set(p, st);
        }
        st.step += 1;
        this.update(p.data, grad.data, st, group.options);
      }
    }
  }

  /** Updates one parameter in place; `state.step` already counts this step. */
  protected abstract update(p: FloatArray, g: FloatArray, state: ParamState, options: O): void;

  /** A state buffer, created zero-filled (in the parameter's precision) on first use. */
  protected buffer(state: ParamState, name: string, like: FloatArray): FloatArray {
    let b = state.buffers.get(name);
    if (b === undefined) {
      b = allocate(like instanceof Float64Array ? 'float64' : 'float32', like.length);
      state.buffers.set(name, b);
    }
    return b;
  }

  /** The state in a serialisable form (see {@link OptimizerState}). */
  stateDict(): OptimizerState {
    const params = this.params();
    const index = new Map(params.map((p, i) => [p, i]));
    const tensors = new Map<string, Tensor>();
    const state: OptimizerStateJson['state'] = [];
    params.forEach((p, i) => {
      const st = this.state.get(p);
      if (st === undefined) return;
      state.push({ param: i, step: st.step, buffers: [...st.buffers.keys()] });
      for (const [name, b] of st.buffers) tensors.set(`${i}.${name}`, new Tensor(b, p.shape));
    });
    const groups = this.groups.map((g) => ({
      options: Object.fromEntries(Object.entries(structuredClone(g.options))),
      lrScale: g.lrScale,
      params: g.params.map((p) => index.get(p) ?? -1),
    }));
    return { json: { kind: this.kind, groups, state }, tensors };
  }

  /**
   * Restores state saved by `stateDict()` from an optimizer of the same kind over parameters of
   * the same shapes, grouped the same way. Hyperparameters are restored too (as in PyTorch);
   * buffers are copied. `source` names the origin in error messages (e.g. a checkpoint path).
   */
  loadStateDict(saved: OptimizerState, source = 'optimizer state'): void {
    const where = `${this.constructor.name}.loadStateDict (${source})`;
    const { json } = saved;
    if (json.kind !== this.kind) {
      throw new HeedError(`${where}: state is for '${json.kind}', this optimizer is '${this.kind}'`);
    }
    if (!Array.isArray(json.groups) || json.groups.length !== this.groups.length) {
      throw new HeedError(
        `${where}: ${Array.isArray(json.groups) ? json.groups.length : 'no'} parameter groups saved, this optimizer has ${this.groups.length}`,
      );
    }
    const params = this.params();
    let first = 0;
    const options = json.groups.map((g, gi) => {
      const own = this.groups[gi];
      const expected = Array.from(own.params, (_, k) => first + k);
      first += own.params.length;
      if (
        !Array.isArray(g.params) ||
        g.params.length !== expected.length ||
        g.params.some((x, k) => x !== expected[k])
      ) {
        throw new HeedError(
          `${where}: group ${gi} holds ${Array.isArray(g.params) ? g.params.length : 'no'} parameters, this optimizer's has ${own.params.length}`,
        );
      }
      if (!(typeof g.lrScale === 'number' && g.lrScale >= 0)) {
        throw new HeedError(`${where}: group ${gi} lrScale must be a number >= 0`);
      }
      const parsed = validate(this.schema, g.options, where, `group ${gi} options`);
      this.checkOptions(parsed, gi);
      return parsed;
    });
    const restored = new Map<Parameter, ParamState>();
    for (const entry of json.state ?? []) {
      const p = params[entry.param];
      if (p === undefined)
        throw new HeedError(`${where}: state for parameter ${entry.param}, which does not exist`);
      if (!(Number.isInteger(entry.step) && entry.step >= 0)) {
        throw new HeedError(
          `${where}: parameter ${entry.param} step must be an integer >= 0, got ${entry.step}`,
        );
      }
      const buffers = new Map<string, FloatArray>();
      for (const name of entry.buffers) {
        const key = `${entry.param}.${name}`;
        const t = saved.tensors.get(key);
        if (t === undefined) throw new HeedError(`${where}: missing buffer '${key}'`);
        if (t.size !== p.size) {
          throw new HeedError(
            `${where}: buffer '${key}' has shape ${fmtShape(t.shape)}, the parameter has ${fmtShape(p.shape)}`,
          );
        }
        const b = allocate(p.dtype, p.size);
        b.set(t.data);
        buffers.set(name, b);
      }
      restored.set(p, { step: entry.step, buffers });
    }
    this.groups.forEach((g, gi) => {
      g.options = options[gi];
      g.lrScale = json.groups[gi].lrScale;
    });
    this.state.clear();
    for (const [p, st] of restored) this.state.set(p, st);
  }
}

function isParameterList<O extends BaseOptions>(params: ParamsInput<O>): params is readonly Parameter[] {
  return params.length === 0 || params[0] instanceof Tensor;
}

/** Schema pieces shared by the optimizers. */
export const optionFields = {
  lr: v.number({ min: 0 }),
  weightDecay: v.number({ min: 0 }),
  maximize: v.boolean(),
};
