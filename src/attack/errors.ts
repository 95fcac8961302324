/** Errors of `muxbench attack`: bad input and refused targets, each with a stable code. The CLI exits 2 on these. */
import { MuxbenchError } from '../errors.ts';

export type AttackErrorCode =
  /** an option or argument is malformed or unknown */
  | 'MUX_ERR_ATTACK_USAGE'
  /** the target is not on this machine and --allow-remote was not given */
  | 'MUX_ERR_ATTACK_REMOTE'
  /** the target URL or name cannot be attacked (not h2c, unknown reference system, missing binary) */
  | 'MUX_ERR_ATTACK_TARGET'
  /** an attack plan file is missing or does not validate */
  | 'MUX_ERR_ATTACK_PLAN';

export class AttackInputError extends MuxbenchError {
  override readonly name = 'AttackInputError';
  constructor(
    readonly code: AttackErrorCode,
    message: string,
  ) {
    super(message);
  }
}
