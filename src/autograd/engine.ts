import { getBackend } from '../backend/registry.js';
import { allocate, type GradFn, Tensor } from '../tensor/tensor.js';
import { fmtShape, HeedError, ShapeError } from '../util/errors.js';

let gradEnabled = true;

/** Whether ops currently record the graph. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording the autograd graph (torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Connects an op's output to the graph when grad mode is on and any input requires gradients.
 * `backward` maps the output gradient to one gradient per input, in input order.
 */
export function attach(
  out: Tensor,
  name: string,
  inputs: readonly Tensor[],
  backward: (grad: Tensor) => readonly (Tensor | null)[],
): Tensor {
  if (!gradEnabled) return out;
  let needed = false;
  for (const t of inputs) needed ||= t.requiresGrad;
  if (!needed) return out;
  const fn: GradFn = { name, inputs, backward };
  out.requiresGrad = true;
  out.gradFn = fn;
  return out;
}

/**
 * Reverse-mode differentiation from `root`. The graph is ordered by an iterative depth-first
 * walk (no recursion, so a 1,000-step unrolled recurrence cannot overflow the stack), then each
 * node's gradient is pushed to its inputs in reverse topological order. Leaf gradients
 * accumulate into `.grad` across calls, as in PyTorch.
 */
export function backward(root: Tensor, seed?: Tensor): void {
  if (!root.requiresGrad) {
    throw new HeedError('backward: the tensor does not require gradients (no input had requiresGrad)');
  }
  let grad0: Tensor;
  if (seed === undefined) {
    if (root.size !== 1) {
      throw new ShapeError(
        `backward: output has shape ${fmtShape(root.shape)}; a non-scalar output needs a seed gradient of the same shape`,
      );
    }
    grad0 = new Tensor(root.dtype === 'float64' ? new Float64Array([1]) : new Float32Array([1]), root.shape);
  } else {
    if (seed.shape.length !== root.shape.length || seed.shape.some((d, i) => d !== root.shape[i])) {
      throw new ShapeError(
        `backward: seed gradient shape ${fmtShape(seed.shape)} does not match output shape ${fmtShape(root.shape)}`,
      );
    }
    grad0 = seed;
  }

  const order = topoOrder(root);
  const grads = new Map<Tensor, Tensor>();
  // Gradients this walk allocated may be summed into in place; a seed or a user's tensor may not.
  const owned = new Set<Tensor>();
  grads.set(root, grad0);
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      const g = grads.get(node);
      if (g === undefined) continue;
      grads.delete(node); // free memory as soon as a node is done
      // An op's backward may return g itself for several inputs (add does): from here on g may
      // be shared, so it must never again be summed into in place.
      owned.delete(g);
      if (node.gradFn === null) {
        accumulateLeaf(node, g);
        continue;
      }
      const inputGrads = node.gradFn.backward(g);
      const inputs = node.gradFn.inputs;
      for (let j = 0; j < inputs.length; j++) {
        const input = inputs[j];
        const ig = inputGrads[j];
        if (!input.requiresGrad || ig === null || ig === undefined) continue;
        checkGradShape(node.gradFn.name, input, ig);
        const existing = grads.get(input);
        if (existing === undefined) {
          grads.set(input, ig);
        } else if (owned.has(existing)) {
          addInPlace(existing, ig);
        } else {
          const sum = new Tensor(existing.data.slice(), existing.shape);
          addInPlace(sum, ig);
          owned.add(sum);
          grads.set(input, sum);
        }
      }
    }
  } finally {
    gradEnabled = prev;
  }
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Each frame: a tensor and how many of its inputs have been pushed so far.
  const stack: { t: Tensor; next: number }[] = [{ t: root, next: 0 }];
  visited.add(root);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    const inputs = frame.t.gradFn?.inputs ?? [];
    if (frame.next < inputs.length) {
      const child = inputs[frame.next++];
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push({ t: child, next: 0 });
      }
    } else {
      order.push(frame.t);
      stack.pop();
    }
  }
  return order;
}

function accumulateLeaf(leaf: Tensor, g: Tensor): void {
  if (leaf.grad === null) {
    // Copy so the leaf never aliases a gradient buffer the graph may reuse, in the leaf's own
    // dtype (a float32 leaf mixed with float64 tensors still gets a float32 gradient).
    const data = allocate(leaf.dtype, g.size);
    data.set(g.data);
    leaf.grad = new Tensor(data, g.shape);
  } else {
    addInPlace(leaf.grad, g);
  }
}

function addInPlace(target: Tensor, g: Tensor): void {
  if (target.dtype !== g.dtype) {
    // Mixed precision in one graph: fall back to an elementwise loop.
    for (let i = 0; i < target.size; i++) target.data[i] += g.data[i];
    return;
  }
  const be = target.dtype === 'float64' ? null : getBackend();
  if (be === null) {
    for (let i = 0; i < target.size; i++) target.data[i] += g.data[i];
  } else {
    be.binary('add', target.data, target.shape, g.data, g.shape, target.data, target.shape);
  }
}

function checkGradShape(op: string, input: Tensor, g: Tensor): void {
  if (g.size !== input.size || g.shape.length !== input.shape.length) {
    throw new ShapeError(
      `backward of ${op}: gradient shape ${fmtShape(g.shape)} does not match input shape ${fmtShape(input.shape)}`,
    );
  }
}
