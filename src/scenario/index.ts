export { type Axis, AXES, defineScenario, type Scenario, type ScenarioInput, type SystemKind, type SystemSpec } from './schema.ts';
export { listScenarioNames, loadScenario, parseScenario, ScenarioError } from './load.ts';
export { effective, expandPoints, type Params, type Point, sweptAxes } from './sweep.ts';
