/**
 * From a scenario point to running processes and an EngineSpec: how each system kind is started, which
 * URL its load goes to, and what each workload means for its protocol.
 */
import { type CpuSet, CpuSetError, firstCores } from '../os/cpus.ts';
import { splitProblem } from '../load/split.ts';
import { loadsAt, type LoadSpec, type Params, type Point, type PointLoad, type Scenario, type SystemSpec, type Workload } from '../scenario/index.ts';
import { clientOf } from '../scenario/load.ts';
import type { EngineSpec } from '../load/engine.ts';
import type { LoadModel } from '../load/types.ts';
import { builtinCall } from '../clients/http-grpc/builtins.ts';
import { CRATE_MAX_CALLS_PER_REQUEST } from '../wire/index.ts';
import { type Leg, type LegConditions, legsAt } from '../scenario/network.ts';
import { applyKernelLegs, clearKernelLegs, type KernelLeg } from './kernel-legs.ts';
import { startLeg } from './network.ts';
import { connectorSplitProblem, startTunnelStack } from './stacks.ts';
import { type StartOptions, startSystem, superviseCommand, type Supervised } from './supervise.ts';

export interface Target {
  /** by role, for resource accounting */
  processes: Record<string, Supervised>;
  /** the relays in its network legs, by leg: watched like its processes, not counted as the system's */
  relays?: Partial<Record<Leg, Supervised>>;
  urls: Record<string, string>;
  stop(): Promise<void>;
}

/** The network conditions at a point, leg by leg (empty: plain loopback). */
export function legsOf(s: Pick<Scenario, 'network'>, point: Pick<Point, 'system' | 'params'>): Partial<Record<Leg, LegConditions>> {
  return legsAt(s.network, point.system, point.params);
}

/** The load model the engines run for a scenario's load (its sweep values already applied). */
export function loadModelOf(load: LoadSpec): LoadModel {
  return load.model === 'closed'
    ? { kind: 'closed', concurrency: load.concurrency }
    : { kind: 'open', ratePerSec: load.ratePerSec, maxInflight: load.maxInflight };
}

/** Why the scenario's load cannot be split over its `loadWorkers` at some point (null: it can everywhere). */
export function loadWorkersProblem(s: Scenario, points: readonly Point[]): string | null {
  if (s.loadWorkers === 1) return null;
  for (const point of points) {
    const engine = 'engine' in point.system ? point.system.engine : 'default';
    for (const l of loadsAt(s, point.params)) {
      const problem = splitProblem(loadModelOf(l.load), s.loadWorkers, engine);
      if (problem) return `loadWorkers: ${problem} (at ${point.system.id}${Object.keys(point.params).length ? ` ${JSON.stringify(point.params)}` : ''})`;
    }
  }
  return null;
}

/**
 * Why some point's system cannot start as the scenario asks (null: every one can): more connector processes
 * than tunnel connections, or more systemCores than the systems' CPU set holds.
 */
export function systemsProblem(points: readonly Point[], systemsCpu: CpuSet | undefined): string | null {
  for (const p of points) {
    const at = `${p.system.id}${Object.keys(p.params).length ? ` ${JSON.stringify(p.params)}` : ''}`;
    const processes = connectorProcessesAt(p.system, p.params);
    const connections = p.system.kind === 'h2-tunnel' || p.system.kind === 'grpc-tunnel' ? (p.params.tunnelConnections ?? p.system.tunnelConnections) : 1;
    const problem = connectorSplitProblem(processes, connections);
    if (problem) return `connectorProcesses at ${at}: ${problem}`;
    try {
      systemCpuAt(systemsCpu, p.params);
    } catch (err) {
      return `systemCores at ${at}: ${(err as Error).message}`;
    }
  }
  return null;
}

/** One load of a point, ready for the load worker: what it is (id, workload, load) and what the engine sends. */
export interface LoadPlan extends PointLoad {
  spec: EngineSpec;
  model: LoadModel;
}

/**
 * What the load engine sends at this point and how, per load (primary first): the target's URL, the
 * workload, the load model. Load groups of an http_grpc client share its POSTs (one client); other
 * protocols' groups open their own connections, and share what lies behind them (a tunnel's connections).
 */
export function loadPlansOf(s: Scenario, point: Point, target: Target): LoadPlan[] {
  return loadsAt(s, point.params).map((l) => {
    const model = loadModelOf(l.load);
    const concurrency = model.kind === 'closed' ? model.concurrency : model.maxInflight;
    const spec = engineSpecFor(point.system, target, l.workload, point.params, concurrency);
    return { ...l, spec: spec.protocol === 'http-grpc' && s.groups !== undefined ? { ...spec, shareClient: true } : spec, model };
  });
}

/** Command-line options a system starts with at this point; equal keys mean a running system can be reused. */
export function startArgs(system: SystemSpec, params: Params): Record<string, string[]> {
  switch (system.kind) {
    case 'http-grpc':
      return {
        server: [
          '--mode',
          system.mode,
          ...(system.transport === 'h2c' ? ['--http2'] : []),
          ...(system.maxInflight ? ['--max-inflight', String(system.maxInflight)] : []),
        ],
      };
    case 'origin':
      return { origin: [] };
    case 'h2-tunnel': {
      const limit = streamLimitAt(system, params)!;
      const args = ['--max-concurrent-streams', String(limit.perConnection), '--connections', String(limit.connections)];
      const win = params.streamWindowBytes ?? system.streamWindowBytes;
      const ses = params.sessionWindowBytes ?? system.sessionWindowBytes;
      if (win !== undefined) args.push('--stream-window', String(win));
      if (ses !== undefined) args.push('--session-window', String(ses));
      if (system.maxSessionMemoryMb !== undefined) args.push('--max-session-memory', String(system.maxSessionMemoryMb));
      if (system.originProtocol !== undefined) args.push('--origin-protocol', system.originProtocol);
      return { connector: args };
    }
    case 'grpc-tunnel': {
      const args = ['--connections', String(params.tunnelConnections ?? system.tunnelConnections)];
      const win = params.streamWindowBytes ?? system.streamWindowBytes;
      const ses = params.sessionWindowBytes ?? system.sessionWindowBytes;
      if (win !== undefined) args.push('--stream-window', String(win));
      if (ses !== undefined) args.push('--session-window', String(ses));
      if (system.chunkBytes !== undefined) args.push('--chunk-size', String(system.chunkBytes));
      if (system.originProtocol !== undefined) args.push('--origin-protocol', system.originProtocol);
      // Both roles must run the same link stack. Passed only when the scenario names one: `muxbench gate`
      // starts a base tree with these arguments too, and a tree older than the option would refuse it.
      const stack = system.linkStack === undefined ? [] : ['--link-stack', system.linkStack];
      return { connector: [...args, ...stack], edge: stack };
    }
    case 'external':
      return { external: system.command ?? [system.url!] };
  }
}

/** A tunnel's connector processes at this point (1 for other systems). */
export function connectorProcessesAt(system: SystemSpec, params: Params): number {
  if (system.kind !== 'h2-tunnel' && system.kind !== 'grpc-tunnel') return 1;
  return params.connectorProcesses ?? system.connectorProcesses ?? 1;
}

/**
 * The cores the point's systems run on: the first `systemCores` of the systems' set when the point sweeps
 * it, else the whole set; CpuSetError when the set cannot give them.
 */
export function systemCpuAt(cpu: CpuSet | undefined, params: Params): CpuSet | undefined {
  if (params.systemCores === undefined) return cpu;
  if (cpu === undefined) throw new CpuSetError(`systemCores ${params.systemCores}: the systems are not pinned here (taskset and two cores are needed)`);
  return firstCores(cpu, params.systemCores);
}

/** An h2 tunnel's stream limit at this point (PointResult.streamLimit); undefined for other systems. */
export function streamLimitAt(system: SystemSpec, params: Params): { perConnection: number; connections: number } | undefined {
  if (system.kind !== 'h2-tunnel') return undefined;
  return { perConnection: params.streamLimit ?? system.streamLimit, connections: params.tunnelConnections ?? system.tunnelConnections };
}

export function startKey(system: SystemSpec, params: Params, legs: Partial<Record<Leg, LegConditions>> = {}): string {
  return `${system.id}:${JSON.stringify(startArgs(system, params))}:${JSON.stringify(legs)}:${connectorProcessesAt(system, params)}:${params.systemCores ?? ''}`;
}

/**
 * Starts the point's system, and a relay in each of its network legs (`legs`, from legsOf). `start` may name
 * another tree's muxbench (`bin`) and extra environment for the system's processes (`env`): `muxbench gate`
 * runs a base and a candidate tree side by side this way. The relays are always this tree's.
 */
export async function startTarget(
  system: SystemSpec,
  params: Params,
  cpu: CpuSet | undefined,
  start: Pick<StartOptions, 'bin' | 'env' | 'wrap' | 'stopGraceMs'> = {},
  legs: Partial<Record<Leg, LegConditions>> = {},
  mechanism: 'relay' | 'kernel' = 'relay',
): Promise<Target> {
  const cores = systemCpuAt(cpu, params);
  if (mechanism === 'kernel' && Object.keys(legs).length > 0) {
    const t = await startTarget(system, params, cpu, start);
    try {
      applyKernelLegs(kernelLegsOf(system, t.urls, legs));
    } catch (err) {
      await t.stop();
      throw err;
    }
    return {
      ...t,
      stop: async () => {
        clearKernelLegs();
        await t.stop();
      },
    };
  }
  const args = startArgs(system, params);
  if (system.kind === 'h2-tunnel' || system.kind === 'grpc-tunnel') {
    const stack = await startTunnelStack({
      design: system.kind === 'h2-tunnel' ? 'h2' : 'grpc',
      connectorArgs: args.connector,
      connectorProcesses: connectorProcessesAt(system, params),
      edgeArgs: args.edge,
      cpus: { origin: cores, edge: cores, connector: cores },
      start,
      legs,
    });
    return { processes: stack.processes, relays: stack.relays ?? {}, urls: stack.urls, stop: stack.stop };
  }
  const one = await startOne(system, args, cores, start);
  // In front of a one-process system: the tunnel leg (http_grpc's POSTs) nearest it, then the client leg.
  const relays: Partial<Record<Leg, Supervised>> = {};
  let urls = one.urls;
  try {
    for (const leg of ['tunnel', 'client'] as const) {
      const c = legs[leg];
      if (c === undefined) continue;
      const relayed = await startLeg(leg, c, urls, cores);
      relays[leg] = relayed.relay;
      urls = relayed.urls;
    }
  } catch (err) {
    await Promise.all(Object.values(relays).map((r) => r.stop()));
    await one.stop();
    throw err;
  }
  return {
    processes: one.processes,
    relays,
    urls,
    stop: async () => {
      await Promise.all([...Object.values(relays).map((r) => r.stop()), one.stop()]);
    },
  };
}

/**
 * Kernel legs by the ports of the servers each leads to: a tunnel's edge tunnel port, its origin's ports,
 * its public ports; a one-process system's ports for its client leg and, for http_grpc, its tunnel leg — on
 * the same ports, so the two are one leg there, their round trips and losses added, the lower bandwidth kept.
 */
export function kernelLegsOf(system: SystemSpec, urls: Record<string, string>, legs: Partial<Record<Leg, LegConditions>>): KernelLeg[] {
  const port = (u: string): number => Number(new URL(u).port);
  if (system.kind === 'h2-tunnel' || system.kind === 'grpc-tunnel') {
    const ports: Record<Leg, number[]> = {
      client: [urls.public, urls.tcp].filter((u): u is string => u !== undefined).map(port),
      tunnel: [port(urls.tunnel!)],
      origin: Object.entries(urls)
        .filter(([k]) => k.startsWith('origin.'))
        .map(([, u]) => port(u)),
    };
    return (Object.entries(legs) as [Leg, LegConditions][]).map(([name, conditions]) => ({ name, conditions, ports: ports[name] }));
  }
  const given = (['client', 'tunnel'] as const).filter((l) => legs[l] !== undefined);
  if (given.length === 0) return [];
  const all = given.map((l) => legs[l]!);
  const mbits = all.map((c) => c.mbit).filter((m) => m > 0);
  const conditions: LegConditions = {
    rttMs: all.reduce((s, c) => s + c.rttMs, 0),
    jitterMs: all.reduce((s, c) => s + c.jitterMs, 0),
    mbit: mbits.length ? Math.min(...mbits) : 0,
  };
  const lost = 1 - all.reduce((k, c) => k * (1 - (c.lossPct ?? 0) / 100), 1);
  if (lost > 0) conditions.lossPct = Math.round(lost * 1e6) / 1e4;
  return [{ name: given.join('+'), conditions, ports: [...new Set(Object.values(urls).map(port))] }];
}

async function startOne(
  system: SystemSpec,
  args: Record<string, string[]>,
  cpu: CpuSet | undefined,
  start: Pick<StartOptions, 'bin' | 'env' | 'wrap' | 'stopGraceMs'>,
): Promise<Target> {
  switch (system.kind) {
    case 'http-grpc': {
      const server = await startSystem('http-grpc', ['--port', '0', ...args.server!], { ...start, cpu });
      return { processes: { server }, urls: server.ready.urls, stop: async () => void (await server.stop()) };
    }
    case 'origin': {
      const origin = await startSystem('origin', ['--port', '0'], { ...start, cpu });
      return { processes: { origin }, urls: origin.ready.urls, stop: async () => void (await origin.stop()) };
    }
    case 'external': {
      if (system.url) return { processes: {}, urls: { [system.urlKey]: system.url }, stop: async () => {} };
      const proc = await superviseCommand(system.command!, { env: start.env, cpu });
      return { processes: { external: proc }, urls: proc.ready.urls, stop: async () => void (await proc.stop()) };
    }
    default:
      throw new Error(`${system.id}: kind ${system.kind} is started as a stack`);
  }
}

function httpPaths(system: SystemSpec): { echo: string; sized: string; sleep: string } {
  const defaults = { echo: '/echo', sized: '/bytes/{n}', sleep: '/delay/{ms}' };
  return system.kind === 'external' ? { ...defaults, ...system.paths } : defaults;
}

/** What the load engine sends to this target at this point. */
export function engineSpecFor(system: SystemSpec, target: Target, w: Workload, params: Params, concurrency: number): EngineSpec {
  const protocol = clientOf(system);
  const connections = params.clientConnections ?? system.clientConnections;
  if (protocol === 'http-grpc') {
    if (system.kind !== 'http-grpc' && system.kind !== 'external') throw new Error(`${system.id}: no http-grpc client for kind ${system.kind}`);
    const mode = system.kind === 'http-grpc' ? system.mode : 'streaming';
    const streamRequests = system.kind === 'http-grpc' ? (system.streamRequests ?? mode === 'streaming') : false;
    const maxCalls =
      system.kind === 'http-grpc' && system.maxCallsPerBatch !== undefined ? system.maxCallsPerBatch : streamRequests ? 0 : CRATE_MAX_CALLS_PER_REQUEST;
    const url = system.kind === 'external' ? target.urls[system.urlKey]! : target.urls.http!;
    const { reply, ...call } = builtinCall(w.call, w.payloadBytes, w.delayMs);
    return {
      protocol: 'http-grpc',
      client: {
        url,
        transport: system.kind === 'http-grpc' ? system.transport : 'http1',
        batchWindowMs: params.batchWindowMs ?? (system.kind === 'http-grpc' ? system.batchWindowMs : 0),
        maxCallsPerBatch: maxCalls,
        streamRequests,
        connections: connections ?? (streamRequests ? 1 : 16),
      },
      ...call,
      expectBody: reply,
    };
  }
  const urlFor = (key: string, fallback: string): string => {
    if (system.kind === 'external') return target.urls[system.urlKey] ?? Object.values(target.urls)[0]!;
    return target.urls[key] ?? target.urls[fallback]!;
  };
  if (protocol === 'grpc')
    return {
      protocol,
      url: system.kind === 'origin' ? target.urls.grpc! : urlFor('public', 'grpc'),
      payloadBytes: w.payloadBytes,
      connections: connections ?? 1,
    };
  if (protocol === 'ws') {
    const base = system.kind === 'origin' ? target.urls.ws! : urlFor('public', 'ws').replace(/^http/, 'ws');
    return { protocol, url: base, payloadBytes: w.payloadBytes, connections: connections ?? Math.min(concurrency, 64) };
  }
  if (protocol === 'tcp') {
    return {
      protocol,
      url: system.kind === 'origin' ? target.urls.tcp! : urlFor('tcp', 'tcp'),
      payloadBytes: w.payloadBytes,
      connections: connections ?? Math.min(concurrency, 64),
    };
  }
  // HTTP/1.1 or HTTP/2
  const paths = httpPaths(system);
  const url = system.kind === 'origin' ? target.urls.http! : urlFor('public', 'http');
  const fill = (p: string): string => p.replace('{n}', String(w.payloadBytes)).replace('{ms}', String(w.delayMs));
  const common = {
    protocol: protocol as 'http1' | 'http2',
    engine: system.engine,
    url,
    expectStatus: 200,
    connections: connections ?? (protocol === 'http1' ? concurrency : Math.max(1, Math.ceil(concurrency / 100))),
  };
  if (w.call === 'sized') return { ...common, method: 'GET', path: fill(paths.sized), bodyBytes: 0, expectBody: { kind: 'pattern', length: w.payloadBytes } };
  return { ...common, method: 'POST', path: fill(w.call === 'echo' ? paths.echo : paths.sleep), bodyBytes: w.payloadBytes, expectBody: { kind: 'echo' } };
}

export type { Point };
