/**
 * Systems made of several processes, started in order and torn down together: a tunnel is an origin, an
 * edge and a connector. Each process is supervised (ready line, time limit, SIGTERM then SIGKILL).
 */
import type { CpuSet } from '../os/cpus.ts';
import type { Leg, LegConditions } from '../scenario/network.ts';
import { shares } from '../load/split.ts';
import { freePort } from './free-port.ts';
import { startLeg } from './network.ts';
import { startSystem, type StartOptions, superviseCommand, type Supervised } from './supervise.ts';

export interface Stack {
  /** The processes, in start order. */
  readonly processes: Record<string, Supervised>;
  /** The relays standing in its network legs, by leg (not the system's processes: src/run/network.ts). */
  readonly relays?: Partial<Record<Leg, Supervised>>;
  /** The URL load is sent to. */
  readonly urls: Record<string, string>;
  stop(): Promise<void>;
}

export interface TunnelStackOptions {
  /** 'h2' for the h2-stream tunnel (issue 3), 'grpc' for the grpc-stream tunnel (issue 6). */
  design: 'h2' | 'grpc';
  token?: string;
  connectorArgs?: string[];
  /**
   * Connector processes (default 1), the `--connections` of connectorArgs shared out between them (each at
   * least one): roles connector.0, connector.1, …; one process keeps the role connector.
   */
  connectorProcesses?: number;
  edgeArgs?: string[];
  /** cpu per role, for pinning */
  cpus?: { origin?: CpuSet; edge?: CpuSet; connector?: CpuSet };
  start?: StartOptions;
  /**
   * Network conditions: `origin` between connector and origin, `tunnel` between connector and edge, `client`
   * in front of the edge's public side; each leg a relay, pinned with the edge.
   */
  legs?: Partial<Record<Leg, LegConditions>>;
}

async function stopAll(procs: Supervised[]): Promise<void> {
  await Promise.all([...procs].reverse().map((p) => p.stop()));
}

export async function startTunnelStack(options: TunnelStackOptions): Promise<Stack> {
  const token = options.token ?? `t-${Math.random().toString(36).slice(2)}`;
  const started: Supervised[] = [];
  const relays: Partial<Record<Leg, Supervised>> = {};
  const legs = options.legs ?? {};
  /** `urls` through the leg's relay, or as they are without one */
  const through = async (leg: Leg, urls: Record<string, string>): Promise<Record<string, string>> => {
    const c = legs[leg];
    if (c === undefined) return urls;
    const relayed = await startLeg(leg, c, urls, options.cpus?.edge);
    started.push(relayed.relay);
    relays[leg] = relayed.relay;
    return relayed.urls;
  };
  try {
    const origin = await startSystem('origin', ['--port', '0'], { ...options.start, cpu: options.cpus?.origin });
    started.push(origin);
    const originUrls = await through('origin', origin.ready.urls);
    const edge = await startSystem(`${options.design}-edge`, ['--port', '0', '--token', token, ...(options.edgeArgs ?? [])], {
      ...options.start,
      cpu: options.cpus?.edge,
    });
    started.push(edge);
    const { tunnel } = await through('tunnel', { tunnel: edge.ready.urls.tunnel! });
    const connectors: Record<string, Supervised> = {};
    const shared = connectorShares(options.connectorArgs ?? [], options.connectorProcesses ?? 1);
    for (const [i, args] of shared.entries()) {
      const connector = await startSystem(
        `${options.design}-connector`,
        ['--edge', tunnel!, '--token', token, '--origin', JSON.stringify({ ...origin.ready, urls: originUrls }), ...args],
        { ...options.start, cpu: options.cpus?.connector },
      );
      started.push(connector);
      connectors[shared.length === 1 ? 'connector' : `connector.${i}`] = connector;
    }
    const front = await through('client', { public: edge.ready.urls.public!, tcp: edge.ready.urls.tcp! });
    return {
      processes: { origin, edge, ...connectors },
      relays,
      urls: { public: front.public!, tcp: front.tcp!, tunnel: edge.ready.urls.tunnel!, ...prefixed('origin.', origin.ready.urls) },
      stop: () => stopAll(started),
    };
  } catch (err) {
    await stopAll(started);
    throw err;
  }
}

/** Why `processes` connector processes cannot share `connections` tunnel connections (null: they can). */
export function connectorSplitProblem(processes: number, connections: number): string | null {
  if (!Number.isInteger(processes) || processes < 1) return `connectorProcesses must be a whole number ≥ 1, got ${processes}`;
  if (processes > connections)
    return `${processes} connector processes for ${connections} tunnel connection(s): each process needs at least one (raise tunnelConnections)`;
  return null;
}

/**
 * Each connector process's arguments: `args` with its share of `--connections` (1 when absent); refused when
 * there are more processes than connections, since a connector without a connection carries nothing.
 */
export function connectorShares(args: readonly string[], processes: number): string[][] {
  const at = args.indexOf('--connections');
  const total = at >= 0 ? Number(args[at + 1]) : 1;
  const problem = connectorSplitProblem(processes, total);
  if (problem) throw new RangeError(problem);
  if (processes === 1) return [[...args]];
  return shares(total, processes).map((n) => {
    const own = [...args];
    if (at >= 0) own[at + 1] = String(n);
    else own.push('--connections', String(n));
    return own;
  });
}

function prefixed(prefix: string, urls: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(urls).map(([k, v]) => [prefix + k, v]));
}

export interface NghttpxStackOptions {
  /** how nghttpx talks to the origin: HTTP/1.1 (its default, and cloudflared's) or h2c */
  originProtocol: 'http1' | 'h2c';
  cpu?: CpuSet;
}

/**
 * nghttpx (nghttp2's reverse proxy, Debian nghttp2-proxy) in front of our origin, h2c on its frontend:
 * the C reference the h2 tunnel is compared with. nghttpx cannot report a port it picked, so it gets a
 * free one (free-port.ts) and is ready once that port accepts connections.
 */
export async function startNghttpxStack(options: NghttpxStackOptions): Promise<Stack> {
  const origin = await startSystem('origin', ['--port', '0'], { cpu: options.cpu });
  try {
    const backend = new URL(origin.ready.urls.http!);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proxy = await superviseCommand(
      [
        'nghttpx',
        `--frontend=127.0.0.1,${port};no-tls`,
        `--backend=${backend.hostname},${backend.port}${options.originProtocol === 'h2c' ? ';;proto=h2' : ''}`,
        '--workers=1',
        '--conf=/dev/null',
        '--accesslog-file=/dev/null',
        '--errorlog-file=/dev/stderr',
        '--log-level=WARN',
        '--no-ocsp',
      ],
      { cpu: options.cpu, readyWhenListening: { host: '127.0.0.1', port, system: 'nghttpx', urls: { http: url } } },
    );
    return { processes: { nghttpx: proxy, origin }, urls: { http: url, ...prefixed('origin.', origin.ready.urls) }, stop: () => stopAll([origin, proxy]) };
  } catch (err) {
    await origin.stop();
    throw err;
  }
}
