/** Errors of the scenario layer: a file that cannot be found, loaded or validated, or overrides that do not fit it. */

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  readonly code = 'MUX_ERR_SCENARIO';
}
