import { getBackend } from '../backend/registry.js';
import { allocateUninit, type GradFn, releaseTensors, Tensor } from '../tensor/tensor.js';
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
 * `backward` maps the output gradient to one gradient per input, in input order. `saved` lists
 * tensors the op made for its backward alone, released with the graph (see GradFn.saved).
 */
export function attach(
  out: Tensor,
  name: string,
  inputs: readonly Tensor[],
  backward: (grad: Tensor) => readonly (Tensor | null)[],
  saved?: readonly Tensor[],
): Tensor {
  if (!gradEnabled) return out;
  let needed = false;
  for (const t of inputs) needed ||= t.requiresGrad;
  if (!needed) return out;
  const fn: GradFn = saved === undefined ? { name, inputs, backward } : { name, inputs, backward, saved };
  out.requiresGrad = true;
  out.gradFn = fn;
  return out;
}

export interface BackwardOptions {
  /**
   * Release the graph once the gradients are in (default false): every non-leaf tensor of the
   * graph, `root` included, and every intermediate gradient is marked released (reading its data
   * throws) and its buffer goes back to allocate()'s pool, so the next step reuses it instead of
   * allocating and collecting afresh. Kept: leaves and their `.grad`, tensors that do not require
   * gradients (inputs, masks, caches), the seed, and `retain`. Read what you need first (the
   * loss's `item()`), and retain any other output you keep (e.g. attention weights to plot).
   */
  releaseGraph?: boolean;
  /**
   * Tensors that live on after a release, with their buffers (and so any view sharing them).
   * A retained non-leaf becomes a constant: it keeps its values but leaves the graph.
   */
  retain?: readonly Tensor[];
}

/**
 * Reverse-mode differentiation from `root`. The graph is ordered by an iterative depth-first
 * walk (no recursion, so a 1,000-step unrolled recurrence cannot overflow the stack), then each
 * node's gradient is pushed to its inputs in reverse topological order. Leaf gradients
 * accumulate into `.grad` across calls, as in PyTorch. See {@link BackwardOptions} for
 * releasing the graph afterwards.
 */
export function backward(root: Tensor, seed?: Tensor, options: BackwardOptions = {}): void {
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
  const release = options.releaseGraph ?? false;
  // Every gradient handed between nodes: dead once the walk is done, released with the graph.
  const passed: Tensor[] = [];
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
      const mine = owned.delete(g);
      if (node.gradFn === null) {
        accumulateLeaf(node, g, mine);
        continue;
      }
      const inputGrads = node.gradFn.backward(g);
      const inputs = node.gradFn.inputs;
      for (let j = 0; j < inputs.length; j++) {
        const input = inputs[j];
        const ig = inputGrads[j];
        if (!input.requiresGrad || ig === null || ig === undefined) continue;
        checkGradShape(node.gradFn.name, input, ig);
        if (release) passed.push(ig);
        const existing = grads.get(input);
        if (existing === undefined) {
          grads.set(input, ig);
        } else if (owned.has(existing)) {
          addInPlace(existing, ig);
        } else {
          const sum = addInto(existing, ig);
          owned.add(sum);
          grads.set(input, sum);
          if (release) passed.push(sum);
        }
      }
    }
  } finally {
    gradEnabled = prev;
  }
  if (release) releaseGraph(order, passed, [grad0, ...(options.retain ?? [])]);
}

/**
 * Releases a finished graph (topological `order`), the tensors its ops saved for their backward
 * alone, and the gradients `passed` between its nodes, keeping the buffers of everything that
 * outlives it: leaves, their gradients, the inputs that need no gradient, and `retain`. A buffer
 * is kept if any of these shares it, so a view of a parameter or of a retained output keeps its
 * base alive.
 */
function releaseGraph(order: readonly Tensor[], passed: readonly Tensor[], retain: readonly Tensor[]): void {
  const kept = new Set<Tensor>(retain);
  for (const t of order) {
    const fn = t.gradFn;
    if (fn === null) {
      kept.add(t);
      if (t.grad !== null) kept.add(t.grad);
    } else {
      for (const input of fn.inputs) if (!input.requiresGrad) kept.add(input);
    }
  }
  const keep = new Set<ArrayBufferLike>();
  for (const t of kept) if (!t.released) keep.add(t.data.buffer);
  const dead: Tensor[] = [];
  for (const t of order) {
    const fn = t.gradFn;
    if (fn === null) continue;
    if (!kept.has(t)) dead.push(t);
    if (fn.saved !== undefined) for (const s of fn.saved) if (!kept.has(s)) dead.push(s);
  }
  for (const g of passed) if (!kept.has(g)) dead.push(g);
  releaseTensors(dead, keep);
  // A retained output keeps its values but leaves the released graph: a later backward through
  // it would read released tensors.
  const inGraph = retain.length > 1 ? new Set(order) : null;
  for (const t of retain) {
    if (t.gradFn !== null && inGraph?.has(t)) {
      t.gradFn = null;
      t.requiresGrad = false;
    }
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

/**
 * Adds g to a leaf's gradient. The first g becomes the gradient: as is when `mine` (a sum this
 * walk made, which nothing else holds), else copied, so the leaf never aliases a buffer an op
 * may share; in the leaf's own dtype (a float32 leaf mixed with float64 tensors still gets a
 * float32 gradient).
 */
function accumulateLeaf(leaf: Tensor, g: Tensor, mine: boolean): void {
  if (leaf.grad === null) {
    if (mine && g.dtype === leaf.dtype) {
      leaf.grad = g;
      return;
    }
    const data = allocateUninit(leaf.dtype, g.size);
    data.set(g.data);
    leaf.grad = new Tensor(data, g.shape);
  } else {
    addInPlace(leaf.grad, g);
  }
}

/** a + g in a new tensor of a's shape and dtype: one pass, where copy-then-add would be two. */
function addInto(a: Tensor, g: Tensor): Tensor {
  const out = allocateUninit(a.dtype, a.size);
  if (a.dtype === g.dtype && a.dtype === 'float32') {
    getBackend().binary('add', a.data, a.shape, g.data, g.shape, out, a.shape);
  } else {
    for (let i = 0; i < out.length; i++) out[i] = a.data[i] + g.data[i];
  }
  return new Tensor(out, a.shape);
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
