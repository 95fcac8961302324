/**
 * What the command line changes in a scenario (`muxbench scenario high-concurrency -c 10,100 -d 2s
 * --set streamLimit=0 --system h2-tunnel`), applied to the file's definition before it is validated: the
 * values go through the same checks and messages as the file's own, and the definition stored with the
 * results is the one that ran.
 *
 * A sweep axis takes a list and becomes that list wherever the scenario would sweep it: a load axis
 * (concurrency, payloadBytes, …) in the scenario's sweep, its quick sweep and any system's own sweep of
 * it; a system knob (streamLimit, the tunnel windows, …) in the own sweep of every system it applies to;
 * with load groups, a load axis means the primary group's, and `<group>.<axis>` names another group.
 * A field (a dotted path: `durationMs`, `workload.call`, `systems.<id>.streamLimit`) takes one
 * value; the settings a quick variant also has (durationMs, trials, warmupMs, maxWarmupMs) hold in
 * --quick runs too.
 */
import type { OverrideValue, ScenarioOverrides } from '../measure/results.ts';
import { ScenarioError } from './errors.ts';
import { AXES, AXIS_APPLIES, appliesToAll, type Axis, claimSystems, GROUP_AXES, QUICK_SETTINGS, SCENARIO_FIELDS } from './schema.ts';

export type { OverrideValue, ScenarioOverrides };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isAxis = (key: string): key is Axis => Object.hasOwn(AXES, key);
const isGroupAxis = (key: string): boolean => (GROUP_AXES as readonly string[]).includes(key);
const entries = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

/** "--system a,b; concurrency=10,100; durationMs=2000", for messages. */
export function describeOverrides(o: ScenarioOverrides): string {
  return [...(o.systems?.length ? [`--system ${o.systems.join(',')}`] : []), ...(o.set ?? []).map((s) => `${s.key}=${s.values.join(',')}`)].join('; ');
}

/** A copy of the scenario file's definition with the overrides applied; `source` names the file in messages. */
export function applyOverrides(definition: unknown, overrides: ScenarioOverrides, source: string): unknown {
  // Something that is not an object is left to validation, which says what it should be.
  if (!isObj(definition)) return definition;
  const s = structuredClone(definition);
  if (overrides.systems?.length) keepSystems(s, overrides.systems, source);
  for (const { key, values } of overrides.set ?? []) {
    const fail = (message: string): never => {
      throw new ScenarioError(`${source}: --set ${key}: ${message}`);
    };
    if (values.length === 0) fail('give at least one value');
    const [head, ...rest] = key.split('.');
    const groupId = rest.length === 1 && isGroupAxis(rest[0]!) && entries(s.groups).some((g) => g.id === head) ? head : undefined;
    if (isAxis(key) || groupId !== undefined) {
      const numbers = values.map((v) => (typeof v === 'number' ? v : fail(`'${v}' is not a number`)));
      setAxis(s, (groupId === undefined ? key : rest[0]) as Axis, numbers, groupId, fail);
    } else if ((SCENARIO_FIELDS as readonly string[]).includes(head!)) {
      if (values.length > 1) fail(`a field takes one value, got ${values.length} (lists are for the sweep axes: ${Object.keys(AXES).join(', ')})`);
      setField(s, key.split('.'), values[0]!, fail);
    } else {
      fail(`neither a sweep axis (${Object.keys(AXES).join(', ')}, or <group id>.<axis>) nor a scenario field (${SCENARIO_FIELDS.join(', ')})`);
    }
  }
  return s;
}

/** Leaves only the named systems, in the file's order, and the claims that name no other. */
function keepSystems(s: Obj, ids: readonly string[], source: string): void {
  const systems = entries(s.systems);
  const known = systems.map((x) => String(x.id));
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    throw new ScenarioError(`${source}: --system: no system ${unknown.map((id) => `'${id}'`).join(', ')} in this scenario; its systems: ${known.join(', ')}`);
  }
  s.systems = systems.filter((x) => ids.includes(String(x.id)));
  if (Array.isArray(s.claims)) {
    // a claim about a system that does not run cannot be decided
    s.claims = s.claims.filter((c) => !isObj(c) || claimSystems(c).every(([, id]) => ids.includes(id)));
    if ((s.claims as unknown[]).length === 0) delete s.claims;
  }
}

function setAxis(s: Obj, axis: Axis, values: number[], groupId: string | undefined, fail: (message: string) => never): void {
  const systems = entries(s.systems);
  const quick = isObj(s.quick) ? s.quick : undefined;
  const groups = entries(s.groups);
  if (groupId !== undefined || (groups.length > 0 && isGroupAxis(axis))) {
    // what a load group does: the primary group's unless a group is named
    const group = groupId === undefined ? groups[0]! : groups.find((g) => g.id === groupId)!;
    const id = String(group.id);
    group.sweep = { ...(isObj(group.sweep) ? group.sweep : {}), [axis]: values };
    for (const sweeps of [quick?.groups, ...systems.map((x) => x.groups)]) {
      if (isObj(sweeps) && isObj(sweeps[id])) sweeps[id][axis] = values;
    }
    return;
  }
  if (appliesToAll(axis)) {
    s.sweep = { ...(isObj(s.sweep) ? s.sweep : {}), [axis]: values };
    if (isObj(quick?.sweep)) quick.sweep[axis] = values;
    for (const x of systems) if (isObj(x.sweep) && axis in x.sweep) x.sweep[axis] = values;
    return;
  }
  // a knob of some kinds of system (streamLimit: h2 tunnels): each of them sweeps it as its own
  const applies = systems.filter((x) => (AXIS_APPLIES[axis] as readonly unknown[]).includes(x.kind));
  if (applies.length === 0) {
    fail(
      `applies to ${AXIS_APPLIES[axis].join(', ')} systems, and this scenario runs none (${systems.map((x) => `${String(x.id)}: ${String(x.kind)}`).join(', ')})`,
    );
  }
  for (const sweep of [s.sweep, quick?.sweep]) if (isObj(sweep)) delete sweep[axis];
  for (const x of applies) x.sweep = { ...(isObj(x.sweep) ? x.sweep : {}), [axis]: values };
}

/** Sets the field at `path`; in a list (systems, groups, claims) the next step is an entry's id. */
function setField(s: Obj, path: string[], value: OverrideValue, fail: (message: string) => never): void {
  let node: Obj = s;
  for (let i = 0; i < path.length - 1; i++) {
    const step = path[i]!;
    const child = node[step];
    if (Array.isArray(child)) {
      const id = path[++i]!;
      const entry = entries(child).find((e) => e.id === id);
      if (!entry)
        fail(
          `no entry of ${step} has the id '${id}' (${entries(child)
            .map((e) => String(e.id))
            .join(', ')})`,
        );
      if (i === path.length - 1) fail(`name a field of ${step} '${id}', e.g. ${step}.${id}.label=…`);
      node = entry!;
    } else if (child === undefined) {
      node = node[step] = {};
    } else if (isObj(child)) {
      node = child;
    } else {
      fail(`${path.slice(0, i + 1).join('.')} is ${JSON.stringify(child)}, not an object`);
    }
  }
  const leaf = path[path.length - 1]!;
  node[leaf] = value;
  // the command line's setting holds in a --quick run too, where the quick variant's own would win
  if (path.length === 1 && (QUICK_SETTINGS as readonly string[]).includes(leaf) && isObj(s.quick)) delete s.quick[leaf];
}
