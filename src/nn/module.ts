import type { Tensor } from '../tensor/tensor.js';
import { fmtShape, HeedError } from '../util/errors.js';
import type { Parameter } from './parameter.js';

/** Named tensors, as `stateDict()` returns and `loadStateDict()` takes. */
export type StateDict = Map<string, Tensor>;

/**
 * The base of every layer and model. Parameters and children are registered explicitly in the
 * constructor (`this.addParameter('weight', …)`, `this.addModule('qProj', …)`), so the names in
 * `namedParameters()` and `stateDict()` are exactly PyTorch's where PyTorch has the module
 * (`weight_ih_l0`, `self_attn.in_proj_weight`, …): weights can move between the two.
 */
export abstract class Module {
  /** Training mode (dropout active) or evaluation mode. */
  training = true;
  private readonly params = new Map<string, Parameter | null>();
  private readonly children = new Map<string, Module>();

  /** Registers a parameter (null for an absent optional one, e.g. a disabled bias). */
  protected addParameter<P extends Parameter | null>(name: string, p: P): P {
    if (this.params.has(name) || this.children.has(name)) {
      throw new HeedError(`${this.constructor.name}: '${name}' is registered twice`);
    }
    this.params.set(name, p);
    return p;
  }

  /** Registers a child module; its parameters appear as `name.<their name>`. */
  protected addModule<M extends Module>(name: string, m: M): M {
    if (this.params.has(name) || this.children.has(name)) {
      throw new HeedError(`${this.constructor.name}: '${name}' is registered twice`);
    }
    this.children.set(name, m);
    return m;
  }

  /** Every parameter with its dotted name, depth first in registration order. */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [name, p] of this.params) if (p !== null) out.push([prefix + name, p]);
    for (const [name, m] of this.children) out.push(...m.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Direct children with their names. */
  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** Total number of learnable values. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Sets training mode here and in every descendant. */
  train(mode = true): this {
    this.training = mode;
    for (const m of this.children.values()) m.train(mode);
    return this;
  }

  /** Evaluation mode (dropout off). */
  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** The parameters by name (tensors share the parameters' data). */
  stateDict(): StateDict {
    return new Map<string, Tensor>(this.namedParameters());
  }

  /**
   * Copies values into the parameters. Missing or unexpected keys are an error when `strict`
   * (the default); a shape mismatch is always an error naming the key and both shapes.
   */
  loadStateDict(state: StateDict, strict = true): void {
    const own = new Map(this.namedParameters());
    if (strict) {
      const missing = [...own.keys()].filter((k) => !state.has(k));
      const unexpected = [...state.keys()].filter((k) => !own.has(k));
      if (missing.length > 0 || unexpected.length > 0) {
        const parts: string[] = [];
        if (missing.length > 0) parts.push(`missing keys: ${missing.join(', ')}`);
        if (unexpected.length > 0) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
        throw new HeedError(`loadStateDict (${this.constructor.name}): ${parts.join('; ')}`);
      }
    }
    for (const [key, value] of state) {
      const p = own.get(key);
      if (p === undefined) continue;
      if (p.shape.length !== value.shape.length || p.shape.some((d, i) => d !== value.shape[i])) {
        throw new HeedError(
          `loadStateDict (${this.constructor.name}): '${key}' has shape ${fmtShape(value.shape)}, the model expects ${fmtShape(p.shape)}`,
        );
      }
      p.data.set(value.data);
    }
  }
}
