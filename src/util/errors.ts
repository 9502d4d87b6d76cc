/**
 * Errors a user can act on. Each carries a one-line message that names the input and what was
 * expected; the CLI prints `heed: <message>` for these instead of a stack trace.
 */
export class HeedError extends Error {
  override name = 'HeedError';
}

/** A tensor shape does not fit an op: the message names the op and the shapes involved. */
export class ShapeError extends HeedError {
  override name = 'ShapeError';
}

/** Formats a shape as PyTorch users read it: [2, 3, 4]. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
