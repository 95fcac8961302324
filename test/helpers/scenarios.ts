/** Scenario files and run hooks the runner and validation tests share. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseScenario, ScenarioError } from '../../src/scenario/index.ts';

/** Progress hooks that print nothing. */
export const quiet = { start() {}, trial() {}, note() {}, done() {} };

/** Writes `body` as scenario `name` into `dir`; returns the file. */
export function scenarioFile(dir: string, name: string, body: object): string {
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, `export default ${JSON.stringify({ name, ...body }, null, 2)};\n`);
  return file;
}

/** The message a scenario is refused with (fails the test if it is accepted). */
export function problems(value: unknown): string {
  try {
    parseScenario(value, 'scenarios/x.ts');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as Error).message;
  }
  throw new Error('expected the scenario to be refused');
}
