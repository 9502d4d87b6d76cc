import type { FloatArray } from '../backend/backend.js';
import { v } from '../util/validate.js';
import { adamKernel } from './kernels.js';
import { type BaseOptions, Optimizer, optionFields, type ParamState, type ParamsInput } from './optimizer.js';

export interface AdamOptions extends BaseOptions {
  /** Decay rates (β₁, β₂) of the first and second moment averages (default [0.9, 0.999]). */
  betas: [number, number];
  /** ε added to the denominator (default 1e-8). */
  eps: number;
  /**
   * Adam: L2 penalty λ added to the gradient (default 0). AdamW: decoupled decay, the parameter
   * shrinks by η·λ each step (default 0.01).
   */
  weightDecay: number;
  /** Use the running maximum of the second moment (AMSGrad, Reddi et al. 2018; default false). */
  amsgrad: boolean;
  /** Ascend instead of descend (default false). */
  maximize: boolean;
}

const beta = v.number({ min: 0, lt: 1 });
const adamSchema = v.object({
  lr: optionFields.lr,
  betas: v.tuple([beta, beta]),
  eps: v.number({ min: 0 }),
  weightDecay: optionFields.weightDecay,
  amsgrad: v.boolean(),
  maximize: optionFields.maximize,
});

type AdamInput = Partial<AdamOptions> & { lr?: number };

function adamDefaults(options: AdamInput, weightDecay: number): AdamOptions {
  return {
    lr: 1e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay,
    amsgrad: false,
    maximize: false,
    ...options,
  };
}

/**
 * Shared by Adam and AdamW: per-parameter step counts and moment buffers named as in PyTorch
 * (`exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`). See {@link adamKernel}.
 */
abstract class AdamBase extends Optimizer<AdamOptions> {
  protected abstract readonly decoupled: boolean;

  protected update(p: FloatArray, g: FloatArray, state: ParamState, o: AdamOptions): void {
    const m = this.buffer(state, 'exp_avg', p);
    const s = this.buffer(state, 'exp_avg_sq', p);
    const sMax = o.amsgrad ? this.buffer(state, 'max_exp_avg_sq', p) : null;
    adamKernel(
      p,
      g,
      m,
      s,
      sMax,
      state.step,
      o.lr,
      o.betas[0],
      o.betas[1],
      o.eps,
      o.weightDecay,
      this.decoupled,
      o.maximize,
    );
  }
}

/** Adam with weight decay as an L2 term in the gradient, exactly as torch.optim.Adam (1.13). */
export class Adam extends AdamBase {
  readonly kind = 'adam';
  protected readonly decoupled = false;

  constructor(params: ParamsInput<AdamOptions>, options: AdamInput = {}) {
    super(params, adamDefaults(options, 0), adamSchema);
  }
}

/** Adam with decoupled weight decay, exactly as torch.optim.AdamW (1.13; weightDecay 0.01). */
export class AdamW extends AdamBase {
  readonly kind = 'adamw';
  protected readonly decoupled = true;

  constructor(params: ParamsInput<AdamOptions>, options: AdamInput = {}) {
    super(params, adamDefaults(options, 0.01), adamSchema);
  }
}
