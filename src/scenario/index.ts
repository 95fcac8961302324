export {
  type Axis,
  AXES,
  defineScenario,
  type GroupsScenario,
  type LoadGroupSpec,
  type LoadSpec,
  type Scenario,
  type ScenarioInput,
  type SingleLoadScenario,
  type SystemKind,
  type SystemSpec,
  type Workload,
} from './schema.ts';
export { describeLoad, groupAxisKey, isActive, loadsAt, type PointLoad, SINGLE_LOAD_ID } from './groups.ts';
export { ScenarioError } from './errors.ts';
export { listScenarioNames, loadScenario, parseScenario } from './load.ts';
export { describeOverrides, type ScenarioOverrides } from './overrides.ts';
export { effective, expandPoints, type Params, type Point, sweptAxes } from './sweep.ts';
