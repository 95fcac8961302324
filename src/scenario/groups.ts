/**
 * The loads a point runs: the scenario's one workload and load model, or its load groups — each with its
 * own sweep values (params `<group id>.<axis>`) applied, groups switched off at this point left out.
 */
import type { Axis, GroupAxis, LoadSpec, Scenario, Workload } from './schema.ts';

/** Params of a point: the swept axes, and each group's own (`bulk.concurrency`). */
export type Params = Partial<Record<Axis, number>> & { [groupAxis: `${string}.${string}`]: number };

/** The id a scenario without groups gives its one load (the load worker's engine name). */
export const SINGLE_LOAD_ID = 'main';

export interface PointLoad {
  id: string;
  label: string;
  workload: Workload;
  load: LoadSpec;
}

/** The params key of a group's own axis. */
export function groupAxisKey(groupId: string, axis: GroupAxis): `${string}.${string}` {
  return `${groupId}.${axis}`;
}

function applied(workload: Workload, load: LoadSpec, value: (axis: Axis) => number | undefined): { workload: Workload; load: LoadSpec } {
  return {
    workload: { call: workload.call, payloadBytes: value('payloadBytes') ?? workload.payloadBytes, delayMs: value('delayMs') ?? workload.delayMs },
    load:
      load.model === 'closed'
        ? { model: 'closed', concurrency: value('concurrency') ?? load.concurrency }
        : { model: 'open', ratePerSec: value('ratePerSec') ?? load.ratePerSec, maxInflight: load.maxInflight },
  };
}

/** Whether a load sends anything: a group swept to concurrency (or rate) 0 is off at that point. */
export function isActive(load: LoadSpec): boolean {
  return load.model === 'closed' ? load.concurrency > 0 : load.ratePerSec > 0;
}

/**
 * The loads of a point, primary first: one for a scenario without groups (its figures are the point's),
 * else every group that is on at this point. Validation keeps the primary group on at every point.
 */
export function loadsAt(s: Scenario, params: Params): PointLoad[] {
  if (s.groups === undefined) return [{ id: SINGLE_LOAD_ID, label: SINGLE_LOAD_ID, ...applied(s.workload, s.load, (a) => params[a]) }];
  return s.groups
    .map((g) => ({ id: g.id, label: g.label ?? g.id, ...applied(g.workload, g.load, (a) => params[`${g.id}.${a}`]) }))
    .filter((l) => isActive(l.load));
}

/** 4194304 → "4 MiB", 1000 → "1000 B": exact, for a label. */
function sizeText(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

/** One line for a load: "closed loop, 200 in flight, echo 64 B". */
export function describeLoad(l: Pick<PointLoad, 'workload' | 'load'>): string {
  const w = l.workload;
  const size = sizeText(w.payloadBytes);
  const what = w.call === 'echo' ? `echo ${size}` : w.call === 'sized' ? `${size} replies` : `sleep ${w.delayMs} ms, ${size}`;
  const how =
    l.load.model === 'closed' ? `closed loop, ${l.load.concurrency} in flight` : `open loop, ${l.load.ratePerSec}/s (at most ${l.load.maxInflight} in flight)`;
  return `${how}, ${what}`;
}
