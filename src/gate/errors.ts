/** Errors of the gate: what stopped it from running or deciding, with a stable code and a message that says what to do. */
import { MuxbenchError } from '../errors.ts';

export type GateErrorCode =
  /** the working tree is not a git checkout */
  | 'MUX_ERR_GATE_NO_GIT'
  /** the base revision is not in the repository (a shallow clone, usually) */
  | 'MUX_ERR_GATE_BASE_REF'
  /** git could not add the worktree */
  | 'MUX_ERR_GATE_WORKTREE'
  /** npm ci failed in the base tree */
  | 'MUX_ERR_GATE_INSTALL'
  /** the base tree cannot serve systems */
  | 'MUX_ERR_GATE_BASE_TREE'
  /** bad options */
  | 'MUX_ERR_GATE_USAGE';

export class GateError extends MuxbenchError {
  override readonly name = 'GateError';
  constructor(
    readonly code: GateErrorCode,
    message: string,
  ) {
    super(message);
  }
}
