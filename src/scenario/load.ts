/**
 * Finding, importing and validating scenario files. A bad file fails here, before any process starts,
 * with every problem listed as `file: field: what was expected`.
 */
import { readdirSync } from 'node:fs';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import type { z } from 'zod';
import { applyOverrides, describeOverrides, type ScenarioOverrides } from './overrides.ts';
import {
  type Axis,
  AXIS_APPLIES,
  claimSystems,
  GROUP_AXES,
  type GroupAxis,
  type LoadGroupSpec,
  type LoadSpec,
  type Scenario,
  scenarioSchema,
  type SystemSpec,
  type Workload,
} from './schema.ts';
import { ScenarioError } from './errors.ts';
import { hasLeg, LEG_APPLIES, LEGS } from './network.ts';

export { AXIS_APPLIES, ScenarioError };

export const SCENARIO_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

/** What each axis's values must be: the one check of sweep values, with one message per axis. */
const AXIS_VALUES: Record<Axis, { whole: boolean; min: number; aboveMin?: boolean }> = {
  concurrency: { whole: true, min: 1 },
  ratePerSec: { whole: false, min: 0, aboveMin: true },
  payloadBytes: { whole: true, min: 0 },
  delayMs: { whole: true, min: 0 },
  streamLimit: { whole: true, min: 0 },
  batchWindowMs: { whole: false, min: 0 },
  streamWindowBytes: { whole: true, min: 1 },
  sessionWindowBytes: { whole: true, min: 1 },
  tunnelConnections: { whole: true, min: 1 },
  connectorProcesses: { whole: true, min: 1 },
  systemCores: { whole: true, min: 1 },
  clientConnections: { whole: true, min: 1 },
  clientRttMs: { whole: false, min: 0 },
  tunnelRttMs: { whole: false, min: 0 },
  originRttMs: { whole: false, min: 0 },
  clientMbit: { whole: false, min: 0 },
  tunnelMbit: { whole: false, min: 0 },
  originMbit: { whole: false, min: 0 },
};

/** The values of `axis` at `where` that it cannot take; in a load group's sweep a concurrency or rate of 0 switches the group off. */
function sweepValueProblems(where: string, axis: Axis, values: readonly number[], inGroup: boolean): string[] {
  const off = inGroup && (axis === 'concurrency' || axis === 'ratePerSec');
  const rule = off ? { whole: AXIS_VALUES[axis].whole, min: 0 } : AXIS_VALUES[axis];
  const fits = (v: number): boolean => (!rule.whole || Number.isInteger(v)) && (rule.aboveMin ? v > rule.min : v >= rule.min);
  const expected = `${rule.whole ? 'a whole number' : 'a number'} ${rule.aboveMin ? '>' : '≥'} ${rule.min}${off ? ' (0 leaves the group out)' : ''}`;
  return values.filter((v) => !fits(v)).map((v) => `${where}: ${v} is not ${expected}`);
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '') || '(top level)';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return `${fieldPath(issue.path)}: ${issue.message}`;
}

/** The client protocol a system's load engine speaks. */
export function clientOf(system: SystemSpec): string {
  switch (system.kind) {
    case 'http-grpc':
      return 'http-grpc';
    case 'external':
      return system.protocol;
    default:
      return system.client;
  }
}

/** The scenario's loads with where each is written, for messages: its one workload, or each group. */
function loadsOf(s: Scenario): { at: string; workload: Workload; load: LoadSpec }[] {
  if (s.groups === undefined) return [{ at: '', workload: s.workload, load: s.load }];
  return s.groups.map((g, i) => ({ at: `groups[${i}].`, workload: g.workload, load: g.load }));
}

function groupProblems(groups: LoadGroupSpec[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  groups.forEach((g, i) => {
    const at = `groups[${i}]`;
    if (ids.has(g.id)) problems.push(`${at}.id: '${g.id}' is used twice`);
    ids.add(g.id);
    for (const [axis, values] of Object.entries(g.sweep ?? {}) as [GroupAxis, number[]][]) {
      const where = `${at}.sweep.${axis}`;
      if (axis === 'concurrency' && g.load.model !== 'closed') problems.push(`${where}: sweeping concurrency needs ${at}.load.model 'closed'`);
      if (axis === 'ratePerSec' && g.load.model !== 'open') problems.push(`${where}: sweeping ratePerSec needs ${at}.load.model 'open'`);
      if (axis === 'delayMs' && g.workload.call !== 'sleep') problems.push(`${where}: sweeping delayMs needs ${at}.workload.call 'sleep'`);
      problems.push(...sweepValueProblems(where, axis, values, true));
      if ((axis === 'concurrency' || axis === 'ratePerSec') && i === 0 && values.includes(0)) {
        problems.push(`${where}: 0 would leave out the primary group (the first), whose figures are the point's; switch off a later group instead`);
      }
    }
  });
  return problems;
}

/** Groups' sweeps given in another place (`quick.groups`, `systems[i].groups`): the groups must exist and each sweep must suit its group. */
function groupSweepProblems(s: Scenario, sweeps: Record<string, Partial<Record<GroupAxis, number[]>>>, at: string): string[] {
  if (s.groups === undefined) return [`${at}: the scenario has no groups`];
  const problems: string[] = [];
  for (const id of Object.keys(sweeps))
    if (!s.groups.some((g) => g.id === id)) problems.push(`${at}.${id}: no group has this id (${s.groups.map((g) => g.id).join(', ')})`);
  const own = new Set(groupProblems(s.groups));
  const swept = s.groups.map((g) => (sweeps[g.id] ? { ...g, sweep: sweeps[g.id] } : g));
  for (const p of groupProblems(swept))
    if (!own.has(p)) problems.push(p.replace(/^groups\[(\d+)\]\.sweep/, (_, i: string) => `${at}.${s.groups![Number(i)]!.id}`));
  return problems;
}

/** Every system and group a claim names must be in the scenario. */
function claimProblems(s: Scenario): string[] {
  const problems: string[] = [];
  const systems = new Set(s.systems.map((x) => x.id));
  const ids = new Set<string>();
  (s.claims ?? []).forEach((c, i) => {
    const at = `claims[${i}]`;
    if (ids.has(c.id)) problems.push(`${at}.id: '${c.id}' is used twice`);
    ids.add(c.id);
    for (const [field, sys] of claimSystems(c))
      if (!systems.has(sys)) problems.push(`${at}.${field}: no system has the id '${sys}' (${[...systems].join(', ')})`);
    if (c.kind === 'isolation') {
      const index = (s.groups ?? []).findIndex((g) => g.id === c.group);
      if (index < 0) problems.push(`${at}.group: no load group has the id '${c.group}'`);
      else if (index === 0) problems.push(`${at}.group: '${c.group}' is the primary group; name the group that runs beside it`);
    }
  });
  return problems;
}

/**
 * A leg the scenario's `network` names must exist in every system it runs (sweep axes are checked like any
 * other); loss needs the kernel; kernel legs live in the run's own network namespace, which a server at a
 * URL is outside of.
 */
function networkProblems(s: Scenario): string[] {
  const problems: string[] = [];
  const kernel = s.network?.mechanism === 'kernel';
  if (kernel)
    s.systems.forEach((spec, i) => {
      if (spec.kind === 'external' && spec.url !== undefined)
        problems.push(
          `systems[${i}].url: with network.mechanism 'kernel' the run lives in its own network namespace, where a server already running at a URL cannot be reached; start it with command, or use mechanism 'relay'`,
        );
    });
  for (const leg of LEGS) {
    if (!kernel && (s.network?.[leg]?.lossPct ?? 0) > 0)
      problems.push(
        `network.${leg}.lossPct: packet loss needs network.mechanism 'kernel' (netem): a relay cannot lose packets honestly — TCP inside it would retransmit them`,
      );
    if (s.network?.[leg] === undefined) continue;
    s.systems.forEach((spec, i) => {
      if (!hasLeg(spec, leg))
        problems.push(
          `network.${leg}: systems[${i}] (kind ${spec.kind}) has no ${leg} leg; it applies to ${LEG_APPLIES[leg].join(', ')} (a per-system sweep, systems[i].sweep.${leg}RttMs, sets one system's)`,
        );
    });
  }
  return problems;
}

function semanticProblems(s: Scenario): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const loads = loadsOf(s);
  const check = (where: string, sweep: Partial<Record<Axis, number[]>> | undefined, systems: { spec: SystemSpec; at: string }[]): void => {
    for (const axis of Object.keys(sweep ?? {}) as Axis[]) {
      if (s.groups !== undefined && (GROUP_AXES as readonly string[]).includes(axis)) {
        problems.push(`${where}.${axis}: with groups, what the load does is swept by its group (groups[i].sweep.${axis})`);
        continue;
      }
      if (s.groups === undefined) {
        if (axis === 'concurrency' && s.load.model !== 'closed') problems.push(`${where}.concurrency: sweeping concurrency needs load.model 'closed'`);
        if (axis === 'ratePerSec' && s.load.model !== 'open') problems.push(`${where}.ratePerSec: sweeping ratePerSec needs load.model 'open'`);
        if (axis === 'delayMs' && s.workload.call !== 'sleep') problems.push(`${where}.delayMs: sweeping delayMs needs workload.call 'sleep'`);
      }
      for (const { spec, at } of systems) {
        if (!AXIS_APPLIES[axis].includes(spec.kind)) {
          problems.push(`${where}.${axis}: does not apply to ${at} (kind ${spec.kind}); it applies to ${AXIS_APPLIES[axis].join(', ')}`);
        }
      }
      problems.push(...sweepValueProblems(`${where}.${axis}`, axis, sweep![axis]!, false));
    }
  };
  if (s.groups !== undefined) {
    problems.push(...groupProblems(s.groups));
    if (s.maxRequests > 0)
      problems.push('maxRequests: cannot be used with groups: every group is measured over the same window, which a request count would cut short');
  }
  s.systems.forEach((spec, i) => {
    const at = `systems[${i}]`;
    if (ids.has(spec.id)) problems.push(`${at}.id: '${spec.id}' is used twice`);
    ids.add(spec.id);
    const proto = clientOf(spec);
    for (const l of loads) {
      if ((proto === 'ws' || proto === 'tcp' || proto === 'grpc') && l.workload.call !== 'echo') {
        problems.push(`${at}: a ${proto} client only has an echo workload, but ${l.at}workload.call is '${l.workload.call}'`);
      }
      if ((proto === 'tcp' || proto === 'ws') && l.workload.payloadBytes === 0) problems.push(`${at}: a ${proto} echo needs ${l.at}workload.payloadBytes ≥ 1`);
    }
    if (spec.kind === 'http-grpc' && spec.streamRequests && spec.mode === 'compat') {
      problems.push(`${at}.streamRequests: compat mode reads the whole body before answering, so an open POST would never be answered`);
    }
    const open = loads.some((l) => l.load.model === 'open');
    if (spec.engine === 'h2load' && proto !== 'http2' && proto !== 'http1') problems.push(`${at}.engine: h2load drives HTTP clients only, not ${proto}`);
    if (spec.engine === 'h2load' && open) problems.push(`${at}.engine: h2load cannot run the corrected open loop; use the default engine`);
    if (spec.engine === 'autocannon' && (proto !== 'http1' || open)) {
      problems.push(`${at}.engine: autocannon is for HTTP/1.1 closed loops only`);
    }
    if (s.groups !== undefined && (spec.engine === 'autocannon' || spec.engine === 'h2load')) {
      problems.push(`${at}.engine: ${spec.engine} runs whole trials on its own and cannot share a point with other load groups; use the default engine`);
    }
    check(`${at}.sweep`, spec.sweep, [{ spec, at }]);
    if (spec.groups !== undefined) problems.push(...groupSweepProblems(s, spec.groups, `${at}.groups`));
  });
  if (s.quick?.groups !== undefined) problems.push(...groupSweepProblems(s, s.quick.groups, 'quick.groups'));
  problems.push(...claimProblems(s), ...networkProblems(s));
  check(
    'sweep',
    s.sweep,
    s.systems.map((spec, i) => ({ spec, at: `systems[${i}]` })),
  );
  check(
    'quick.sweep',
    s.quick?.sweep,
    s.systems.map((spec, i) => ({ spec, at: `systems[${i}]` })),
  );
  return problems;
}

/** Validates a scenario object; `source` names where it came from in the error. */
export function parseScenario(value: unknown, source: string): Scenario {
  const parsed = scenarioSchema.safeParse(value);
  if (!parsed.success) {
    throw new ScenarioError(`${source} is not a valid scenario:\n${parsed.error.issues.map((i) => `  - ${describeIssue(i)}`).join('\n')}`);
  }
  const problems = semanticProblems(parsed.data);
  if (problems.length > 0) throw new ScenarioError(`${source} is not a valid scenario:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return parsed.data;
}

/** A name from scenarios/ ('smoke') or a path to a .ts file. */
export function resolveScenarioFile(nameOrPath: string): string {
  if (nameOrPath.endsWith('.ts') || nameOrPath.includes('/')) return isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath);
  return join(SCENARIO_DIR, `${nameOrPath}.ts`);
}

/**
 * Imports and validates a scenario file; `overrides` (the command line's) change its definition first, so
 * that they go through the same checks and the scenario returned is the one that runs.
 */
export async function loadScenario(nameOrPath: string, overrides?: ScenarioOverrides): Promise<{ scenario: Scenario; file: string }> {
  const file = resolveScenarioFile(nameOrPath);
  let mod: Record<string, unknown>;
  try {
    // tsImport loads a .ts file as a module wherever it lives (a user's own directory has no package.json
    // saying "type": "module", and plain import() would treat it as CommonJS).
    mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(file)) {
      const known = listScenarioNames();
      throw new ScenarioError(`no scenario '${nameOrPath}' (looked for ${file}); known: ${known.join(', ') || 'none'}`);
    }
    throw new ScenarioError(`${file} could not be loaded: ${(err as Error).message}`);
  }
  const definition = defaultExport(mod);
  if (definition === undefined) {
    const named = Object.keys(mod).filter((k) => k !== 'default');
    throw new ScenarioError(
      `${file} has no default export${named.length ? ` (it exports ${named.join(', ')})` : ''}: a scenario file ends with \`export default defineScenario({ name, description, systems, … })\`, or \`export default { … }\` outside scenarios/`,
    );
  }
  if (overrides === undefined) return { scenario: parseScenario(definition, file), file };
  const source = `${file} (with ${describeOverrides(overrides)} from the command line)`;
  return { scenario: parseScenario(applyOverrides(definition, overrides, file), source), file };
}

/**
 * A module's default export, or undefined when it has none. tsx compiles a file outside a "type": "module"
 * package to CommonJS: the namespace's `default` is then module.exports, marked __esModule, holding the
 * file's own default export — or, for a file that exports nothing, an empty module.exports.
 */
function defaultExport(mod: Record<string, unknown>): unknown {
  const d = mod.default;
  if (d === null || typeof d !== 'object') return d;
  if ('__esModule' in d) return (d as { default?: unknown }).default;
  if (Object.keys(mod).length === 1 && Object.getPrototypeOf(d) === Object.prototype && Object.keys(d).length === 0) return undefined;
  return d;
}

export function listScenarioNames(): string[] {
  try {
    return readdirSync(SCENARIO_DIR)
      .filter((f) => extname(f) === '.ts')
      .map((f) => basename(f, '.ts'))
      .sort();
  } catch {
    return [];
  }
}
