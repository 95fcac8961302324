/**
 * Systems made of several processes, started in order and torn down together: a tunnel is an origin, an
 * edge and a connector. Each process is supervised (ready line, time limit, SIGTERM then SIGKILL).
 */
import type { CpuSet } from '../os/cpus.ts';
import type { Leg, LegConditions } from '../scenario/network.ts';
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
    const connector = await startSystem(
      `${options.design}-connector`,
      ['--edge', tunnel!, '--token', token, '--origin', JSON.stringify({ ...origin.ready, urls: originUrls }), ...(options.connectorArgs ?? [])],
      { ...options.start, cpu: options.cpus?.connector },
    );
    started.push(connector);
    const front = await through('client', { public: edge.ready.urls.public!, tcp: edge.ready.urls.tcp! });
    return {
      processes: { origin, edge, connector },
      relays,
      urls: { public: front.public!, tcp: front.tcp!, tunnel: edge.ready.urls.tunnel!, ...prefixed('origin.', origin.ready.urls) },
      stop: () => stopAll(started),
    };
  } catch (err) {
    await stopAll(started);
    throw err;
  }
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
