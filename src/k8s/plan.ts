/**
 * The worker plan for one scenario point against an external target (load/plan.ts): what `muxbench k8s`
 * puts in its ConfigMap. The point's load and engine spec are built exactly as a local run builds them
 * (run/targets.ts), from the scenario as the command line changed it.
 */
import { randomUUID } from 'node:crypto';
import { PLAN_SCHEMA, type WorkerPlan } from '../load/plan.ts';
import { splitProblem } from '../load/split.ts';
import { engineSpecFor, loadModelOf, type Target } from '../run/targets.ts';
import { effective, expandPoints, loadsAt, type Point, type Scenario, ScenarioError } from '../scenario/index.ts';

/** Room after one window's close before the next opens: the drain of what it sent. */
export const PLAN_GAP_MS = 2000;

export interface PlanOptions {
  /** which point of the scenario (its index); may be left out when the scenario has one point */
  point?: number;
  /** the target, over the external system's own url */
  url?: string;
  workers: number;
  /** when the load begins, ms since the epoch */
  startAt: number;
}

function pointText(p: Point): string {
  const params = Object.entries(p.params).map(([k, v]) => `${k}=${v}`);
  return `${p.index}: ${p.system.id}${params.length ? ` (${params.join(', ')})` : ''}`;
}

/** The plan of one point; throws ScenarioError naming what is wrong (no such point, not an external target, …). */
export function planForPoint(scenario: Scenario, file: string, o: PlanOptions): WorkerPlan {
  if (scenario.groups !== undefined)
    throw new ScenarioError(`${scenario.name}: a scenario of load groups cannot be run by workers on their own; give it one load`);
  const points = expandPoints(scenario, false);
  if (o.point === undefined && points.length > 1)
    throw new ScenarioError(`${scenario.name} has ${points.length} points: name one with --point (${points.map(pointText).join('; ')})`);
  const point = points[o.point ?? 0];
  if (!point) throw new ScenarioError(`${scenario.name} has no point ${o.point} (points 0-${points.length - 1})`);
  const system = point.system;
  if (system.kind !== 'external')
    throw new ScenarioError(
      `point ${pointText(point)} is a reference system (${system.kind}), started by the runner beside its load; workers in a cluster load an external target: a system of kind 'external' with a url (or --url)`,
    );
  const url = o.url ?? system.url;
  if (url === undefined) throw new ScenarioError(`${system.id} is started by a command; workers in a cluster need its url: give --url`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ScenarioError(`--url: '${url}' is not a URL`);
  }
  if (!/^(https?|wss?|tcp):$/.test(parsed.protocol)) throw new ScenarioError(`--url: '${url}': the target is http, ws or tcp`);
  const [load] = loadsAt(scenario, point.params);
  const model = loadModelOf(load!.load);
  if (system.engine === 'h2load') throw new ScenarioError(`${system.id}: the h2load engine is not in the workers' image; use the default engine`);
  const problem = splitProblem(model, o.workers, system.engine);
  if (problem) throw new ScenarioError(problem);
  const target: Target = { processes: {}, urls: { [system.urlKey]: url }, stop: async () => {} };
  const concurrency = model.kind === 'closed' ? model.concurrency : model.maxInflight;
  const eff = effective(scenario, false);
  return {
    schema: PLAN_SCHEMA,
    id: randomUUID(),
    scenario: { name: scenario.name, description: scenario.description, file, definition: scenario },
    point: {
      index: point.index,
      systemId: system.id,
      systemKind: system.kind,
      label: system.label ?? system.id,
      params: point.params as Record<string, number>,
    },
    spec: engineSpecFor({ ...system, url }, target, load!.workload, point.params, concurrency),
    model,
    workers: o.workers,
    startAt: o.startAt,
    policy: eff.steady,
    trials: eff.trials,
    durationMs: eff.durationMs,
    gapMs: PLAN_GAP_MS,
    maxRequests: scenario.maxRequests,
  };
}
