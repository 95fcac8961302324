/** Turns a scenario into its points: every system × every combination of its sweep values. */
import { DEFAULT_STEADY_POLICY, type SteadyPolicy } from '../measure/steady.ts';
import { groupAxisKey, type Params } from './groups.ts';
import type { Axis, GroupAxis, Scenario, SystemSpec } from './schema.ts';

export type { Params };

export interface Point {
  index: number;
  system: SystemSpec;
  params: Params;
}

/** The settings a run uses: the scenario's, or its `quick` variant's where given. */
export interface Effective {
  /** the minimum warm-up (steady.minMs) */
  warmupMs: number;
  durationMs: number;
  trials: number;
  sweep: Partial<Record<Axis, number[]>>;
  /** warm-up until steady: at least warmupMs, at most maxWarmupMs */
  steady: SteadyPolicy;
}

export function effective(s: Scenario, quick: boolean): Effective {
  const q = quick ? s.quick : undefined;
  const warmupMs = q?.warmupMs ?? s.warmupMs;
  return {
    warmupMs,
    durationMs: q?.durationMs ?? s.durationMs,
    trials: q?.trials ?? s.trials,
    sweep: q?.sweep ?? s.sweep ?? {},
    steady: {
      ...DEFAULT_STEADY_POLICY,
      minMs: warmupMs,
      maxMs: Math.max(warmupMs, q?.maxWarmupMs ?? s.maxWarmupMs),
      tolerance: s.steadyTolerance,
    },
  };
}

function product(sweep: Record<string, number[]>): Params[] {
  let combos: Params[] = [{}];
  for (const [axis, values] of Object.entries(sweep)) {
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [axis]: v })));
  }
  return combos;
}

/**
 * The load groups' own sweeps, keyed `<group id>.<axis>`, primary first: the system's own entry for a group
 * (`systems[i].groups`) if it has one, else the QUICK run's (`quick.groups`), else the group's.
 */
function groupSweeps(s: Scenario, quick: boolean, system: SystemSpec): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const g of s.groups ?? []) {
    const sweep = system.groups?.[g.id] ?? (quick ? s.quick?.groups?.[g.id] : undefined) ?? g.sweep ?? {};
    for (const [axis, values] of Object.entries(sweep) as [GroupAxis, number[]][]) out[groupAxisKey(g.id, axis)] = values;
  }
  return out;
}

/**
 * The group axes in the order they vary, slowest first: the last group's first, so the secondary groups
 * vary slower than the primary and every point with a secondary group switched off (its 0 listed first)
 * is measured before the ones it runs in — bulk transfers leave heap and buffers behind that would
 * otherwise count as the primary load's memory.
 */
function groupVaryOrder(s: Scenario, sweeps: Record<string, number[]>): string[] {
  const ids = (s.groups ?? []).map((g) => g.id).reverse();
  return ids.flatMap((id) => Object.keys(sweeps).filter((k) => k.startsWith(`${id}.`)));
}

/**
 * Points grouped by system. Within a system its own sweep (stream limit, windows: how its processes are
 * started) varies slowest, then the scenario's sweep, then the load groups' own sweeps (what the load
 * does; the secondary groups' slower than the primary's) fastest, so the processes started for one
 * configuration stay up, warm, across every load point that uses them.
 */
export function expandPoints(s: Scenario, quick: boolean): Point[] {
  const base = effective(s, quick).sweep;
  const points: Point[] = [];
  for (const system of s.systems) {
    const groups = groupSweeps(s, quick, system);
    const own = system.sweep ?? {};
    const shared = Object.fromEntries(Object.entries(base).filter(([axis]) => !(axis in own)));
    const vary = Object.fromEntries(groupVaryOrder(s, groups).map((k) => [k, groups[k]!]));
    // Params name their axes in the scenario's order (groups primary first), whatever order they vary in.
    const order = [...Object.keys(own), ...Object.keys(shared), ...Object.keys(groups)];
    for (const combo of product({ ...own, ...shared, ...vary } as Record<string, number[]>)) {
      const params = Object.fromEntries(order.filter((k) => k in combo).map((k) => [k, combo[k as keyof Params]])) as Params;
      points.push({ index: points.length, system, params });
    }
  }
  return points;
}

/** The axes that vary anywhere in the run (the x axes of its charts), group axes (`bulk.concurrency`) included. */
export function sweptAxes(points: readonly Point[]): string[] {
  const axes = new Set<string>();
  for (const p of points) for (const a of Object.keys(p.params)) axes.add(a);
  return [...axes];
}
