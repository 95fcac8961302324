/**
 * The one base of muxbench's own errors. Each kind has a stable string code (`MUX_ERR_…`) that callers,
 * the CLI and tests match on — never the message, which is for people (undici's pattern). Subclasses
 * declare `code` as a literal, or take it as a constructor parameter from a closed union of codes.
 */
export abstract class MuxbenchError extends Error {
  abstract readonly code: `MUX_ERR_${string}`;
}

/** Whether `err` is one of ours, with its code. */
export function isMuxbenchError(err: unknown): err is MuxbenchError {
  return err instanceof MuxbenchError;
}
