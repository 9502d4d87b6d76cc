import type { FloatArray } from '../backend/backend.js';
import { HeedError } from '../util/errors.js';
import { v } from '../util/validate.js';
import { sgdKernel } from './kernels.js';
import { type BaseOptions, Optimizer, optionFields, type ParamState, type ParamsInput } from './optimizer.js';

export interface SGDOptions extends BaseOptions {
  /** Momentum factor μ (default 0: plain SGD). */
  momentum: number;
  /** Dampening τ of the momentum (default 0). */
  dampening: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
  /** Ascend instead of descend (default false). */
  maximize: boolean;
}

const sgdSchema = v.object({
  lr: optionFields.lr,
  momentum: v.number({ min: 0 }),
  dampening: v.number(),
  nesterov: v.boolean(),
  weightDecay: optionFields.weightDecay,
  maximize: optionFields.maximize,
});

/**
 * Stochastic gradient descent with optional momentum, exactly as torch.optim.SGD (1.13): the
 * momentum buffer starts as a copy of the first (decayed) gradient. See {@link sgdKernel}.
 */
export class SGD extends Optimizer<SGDOptions> {
  readonly kind = 'sgd';

  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    const defaults: SGDOptions = {
      momentum: 0,
      dampening: 0,
      nesterov: false,
      weightDecay: 0,
      maximize: false,
      ...options,
    };
    super(params, defaults, sgdSchema);
  }

  protected override checkOptions(o: SGDOptions, group: number): void {
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new HeedError(`SGD (group ${group}): Nesterov momentum requires momentum > 0 and dampening 0`);
    }
  }

  protected update(p: FloatArray, g: FloatArray, state: ParamState, o: SGDOptions): void {
    let buf: FloatArray | null = null;
    let first = false;
    if (o.momentum !== 0) {
      first = !state.buffers.has('momentum_buffer');
      buf = this.buffer(state, 'momentum_buffer', p);
    }
    sgdKernel(p, g, buf, first, o.lr, o.momentum, o.dampening, o.nesterov, o.weightDecay, o.maximize);
  }
}
