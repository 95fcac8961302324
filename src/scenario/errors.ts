/** Errors of the scenario layer: a file that cannot be found, loaded or validated, or overrides that do not fit it. */
import { MuxbenchError } from '../errors.ts';

export class ScenarioError extends MuxbenchError {
  override readonly name = 'ScenarioError';
  readonly code = 'MUX_ERR_SCENARIO';
}
