import { attach, isGradEnabled } from '../autograd/engine.js';
import { allocate, Tensor } from '../tensor/tensor.js';

/**
 * Connects a node with several outputs to the graph, whose nodes have one output each. The node
 * itself is a `hub`, a zero-size tensor carrying the real backward; each output hangs off it by
 * a handle whose backward only records its gradient and hands the hub an empty token. The hub
 * is the handles' only input, so the engine's reverse topological walk runs it after all of
 * them: it then calls `backward` with each output's gradient (null for an output no gradient
 * reached) and forgets them, ready for another pass over the same graph. (splitShared uses the
 * same ordering guarantee.) `suffixes` name the handles (`${name}.${suffix}`).
 *
 * Returns `outs` themselves, attached; unattached when grad mode is off or no input needs a
 * gradient.
 */
export function attachOutputs(
  name: string,
  outs: readonly Tensor[],
  suffixes: readonly string[],
  inputs: readonly Tensor[],
  backward: (grads: readonly (Tensor | null)[]) => readonly (Tensor | null)[],
): Tensor[] {
  if (!isGradEnabled() || !inputs.some((t) => t.requiresGrad)) return [...outs];
  const dtype = outs[0].dtype;
  const token = new Tensor(allocate(dtype, 0), [0]);
  const grads: (Tensor | null)[] = outs.map(() => null);
  let received = 0;
  const hub = attach(new Tensor(allocate(dtype, 0), [0]), name, inputs, () => {
    const gs = [...grads];
    grads.fill(null);
    received = 0;
    return backward(gs);
  });
  return outs.map((out, k) =>
    attach(out, `${name}.${suffixes[k]}`, [hub], (g) => {
      grads[k] = g;
      return [received++ === 0 ? token : null];
    }),
  );
}
