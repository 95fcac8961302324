/**
 * What a V8 CPU profile (.cpuprofile, as node:inspector's Profiler.stop returns it) says, in a form small
 * enough to keep in results.json: where the sampled time went by kind (GC, idle, V8's own "(program)",
 * muxbench's code, node's internals and native calls, dependencies), the functions with the most self
 * time, and the call tree pruned to the frames that matter, for a flame graph. Pure: profile in, data out.
 */

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number }; hitCount?: number; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export type FrameKind = 'gc' | 'idle' | 'program' | 'own' | 'node' | 'native' | 'deps';

export const FRAME_KINDS: Record<FrameKind, string> = {
  own: "muxbench's code (src/)",
  node: "node's internals (node:…)",
  native: 'native and builtin calls (no script)',
  deps: 'dependencies (node_modules)',
  gc: 'garbage collector',
  program: 'V8 itself, unattributed ("(program)")',
  idle: 'idle (waiting for I/O)',
};

export interface FlameNode {
  /** function name, or "(anonymous)" */
  name: string;
  /** where it is: "src/h2/session.ts:120", "node:internal/…:45", "" for native frames */
  at: string;
  kind: FrameKind;
  /** µs sampled in this frame and below */
  totalUs: number;
  /** µs sampled in this frame itself */
  selfUs: number;
  children: FlameNode[];
}

export interface ProfileSummary {
  /** sampled wall time, µs */
  durationUs: number;
  samples: number;
  /** share of the sampled time by kind (sums to 1) */
  kinds: Record<FrameKind, number>;
  /** the functions with the most self time, idle left out */
  top: { name: string; at: string; kind: FrameKind; selfUs: number; share: number }[];
  /** the call tree without idle time, frames under `minShare` of the busy time left out (their time stays in their parent's total) */
  flame: FlameNode;
}

/**
 * Where a frame's script is, relative to the tree it came from. Line 0 is left out: the TypeScript the
 * systems run is compiled by tsx into modules whose code stands on their first line, so a profile's line
 * says nothing there.
 */
export function frameLocation(url: string, line: number): string {
  if (!url) return '';
  const path = url.replace(/^file:\/\//, '');
  const m = /(?:^|\/)((?:node_modules|src|bin|bench|test)\/.*)$/.exec(path);
  const where = m ? m[1]! : path;
  return line > 0 ? `${where}:${line + 1}` : where;
}

export function frameKind(functionName: string, url: string): FrameKind {
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)' || functionName === '(root)') return 'program';
  if (!url) return 'native';
  if (url.includes('/node_modules/')) return 'deps';
  if (url.startsWith('node:')) return 'node';
  return 'own';
}

/** Functions kept per profile: the report shows the first 15; differences between two runs read all of them. */
const TOP_FUNCTIONS = 40;
const MAX_DEPTH = 48;

/**
 * Summarises a profile. Each sample is attributed the interval until the next (the profile's own time
 * deltas); `minShare` prunes the flame tree (default 0.5 % of the busy time).
 */
export function summarizeProfile(p: CpuProfile, minShare = 0.005): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    // timeDeltas[i] is the time from sample i−1 to sample i: sample i gets the gap after it.
    for (let i = 0; i < samples.length; i++) {
      const gap = i + 1 < deltas.length ? deltas[i + 1]! : 0;
      selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(0, gap));
    }
  } else {
    const hits = p.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
    const per = hits > 0 ? (p.endTime - p.startTime) / hits : 0;
    for (const n of p.nodes) selfUs.set(n.id, (n.hitCount ?? 0) * per);
  }
  const kinds: Record<FrameKind, number> = { gc: 0, idle: 0, program: 0, own: 0, node: 0, native: 0, deps: 0 };
  const fns = new Map<string, { name: string; at: string; kind: FrameKind; selfUs: number }>();
  let total = 0;
  for (const n of p.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    if (us === 0) continue;
    const kind = frameKind(n.callFrame.functionName, n.callFrame.url);
    kinds[kind] += us;
    total += us;
    if (kind === 'idle') continue;
    const name = n.callFrame.functionName || '(anonymous)';
    const at = frameLocation(n.callFrame.url, n.callFrame.lineNumber);
    const key = `${name}\u0000${at}`;
    const f = fns.get(key) ?? { name, at, kind, selfUs: 0 };
    f.selfUs += us;
    fns.set(key, f);
  }
  for (const k of Object.keys(kinds) as FrameKind[]) kinds[k] = total > 0 ? kinds[k] / total : 0;
  const top = [...fns.values()]
    .sort((a, b) => b.selfUs - a.selfUs)
    .slice(0, TOP_FUNCTIONS)
    .map((f) => ({ ...f, selfUs: Math.round(f.selfUs), share: total > 0 ? f.selfUs / total : 0 }));

  const root = p.nodes.find((n) => n.callFrame.functionName === '(root)') ?? p.nodes[0];
  const build = (id: number, depth: number): FlameNode => {
    const n = byId.get(id)!;
    const children = depth < MAX_DEPTH ? (n.children ?? []).filter((c) => byId.has(c)).map((c) => build(c, depth + 1)) : [];
    const own = selfUs.get(id) ?? 0;
    const below = depth < MAX_DEPTH ? children.reduce((s, c) => s + c.totalUs, 0) : subtreeUs(n.id);
    return {
      name: n.callFrame.functionName || '(anonymous)',
      at: frameLocation(n.callFrame.url, n.callFrame.lineNumber),
      kind: frameKind(n.callFrame.functionName, n.callFrame.url),
      totalUs: own + below,
      selfUs: own,
      children,
    };
  };
  const subtreeUs = (id: number): number => {
    const n = byId.get(id)!;
    return (selfUs.get(id) ?? 0) + (n.children ?? []).reduce((s, c) => s + (byId.has(c) ? subtreeUs(c) : 0), 0);
  };
  let flame: FlameNode = root ? build(root.id, 0) : { name: '(root)', at: '', kind: 'program', totalUs: 0, selfUs: 0, children: [] };
  // Idle is waiting, not work: the flame graph shows where the busy time went.
  const idle = flame.children.filter((c) => c.kind === 'idle').reduce((s, c) => s + c.totalUs, 0);
  flame = { ...flame, name: 'all busy time', totalUs: flame.totalUs - idle, children: flame.children.filter((c) => c.kind !== 'idle') };
  const prune = (n: FlameNode, floor: number): FlameNode => ({
    ...n,
    totalUs: Math.round(n.totalUs),
    selfUs: Math.round(n.selfUs),
    children: n.children
      .filter((c) => c.totalUs >= floor)
      .sort((a, b) => b.totalUs - a.totalUs)
      .map((c) => prune(c, floor)),
  });
  return { durationUs: Math.round(p.endTime - p.startTime), samples: samples.length, kinds, top, flame: prune(flame, flame.totalUs * minShare) };
}

/** One function's share of the busy time (idle left out) in two profiles. */
export interface FunctionShift {
  name: string;
  at: string;
  kind: FrameKind;
  baseShare: number;
  currentShare: number;
  /** currentShare − baseShare, in shares of the busy time */
  change: number;
}

export interface ProfileDiff {
  /** each kind's share of the busy time, before and now (idle left out) */
  kinds: { kind: FrameKind; baseShare: number; currentShare: number; change: number }[];
  /** functions whose share of the busy time grew most, largest first */
  grew: FunctionShift[];
  /** and shrank most */
  shrank: FunctionShift[];
}

/**
 * What changed between two profiles of the same process: shares of the busy time (idle left out, since it
 * follows the load), by kind and by function. A function outside one side's kept top functions counts as
 * 0 there, so small shares are approximate.
 */
export function diffProfiles(base: ProfileSummary, current: ProfileSummary, shown = 8): ProfileDiff {
  const busy = (s: ProfileSummary): number => Math.max(1e-9, 1 - s.kinds.idle);
  const kinds = (Object.keys(FRAME_KINDS) as FrameKind[])
    .filter((k) => k !== 'idle')
    .map((kind) => {
      const b = base.kinds[kind] / busy(base);
      const c = current.kinds[kind] / busy(current);
      return { kind, baseShare: b, currentShare: c, change: c - b };
    });
  const shifts = new Map<string, FunctionShift>();
  const add = (s: ProfileSummary, side: 'baseShare' | 'currentShare'): void => {
    for (const f of s.top) {
      const key = `${f.name}\u0000${f.at}`;
      const e = shifts.get(key) ?? { name: f.name, at: f.at, kind: f.kind, baseShare: 0, currentShare: 0, change: 0 };
      e[side] = f.share / busy(s);
      shifts.set(key, e);
    }
  };
  add(base, 'baseShare');
  add(current, 'currentShare');
  const all = [...shifts.values()].map((e) => ({ ...e, change: e.currentShare - e.baseShare }));
  return {
    kinds,
    grew: all
      .filter((e) => e.change > 0)
      .sort((a, b) => b.change - a.change)
      .slice(0, shown),
    shrank: all
      .filter((e) => e.change < 0)
      .sort((a, b) => a.change - b.change)
      .slice(0, shown),
  };
}
