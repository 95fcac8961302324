/**
 * Systems made of several processes, started in order and torn down together: a tunnel is an origin, an
 * edge and a connector. Each process is supervised (ready line, time limit, SIGTERM then SIGKILL).
 */
import { startSystem, type StartOptions, type Supervised } from './supervise.ts';

export interface Stack {
  /** The processes, in start order. */
  readonly processes: Record<string, Supervised>;
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
  cpus?: { origin?: number; edge?: number; connector?: number };
  start?: StartOptions;
}

async function stopAll(procs: Supervised[]): Promise<void> {
  await Promise.all([...procs].reverse().map((p) => p.stop()));
}

export async function startTunnelStack(options: TunnelStackOptions): Promise<Stack> {
  const token = options.token ?? `t-${Math.random().toString(36).slice(2)}`;
  const started: Supervised[] = [];
  try {
    const origin = await startSystem('origin', ['--port', '0'], { ...options.start, cpu: options.cpus?.origin });
    started.push(origin);
    const edge = await startSystem(`${options.design}-edge`, ['--port', '0', '--token', token, ...(options.edgeArgs ?? [])], {
      ...options.start,
      cpu: options.cpus?.edge,
    });
    started.push(edge);
    const connector = await startSystem(
      `${options.design}-connector`,
      ['--edge', edge.ready.urls.tunnel!, '--token', token, '--origin', JSON.stringify(origin.ready), ...(options.connectorArgs ?? [])],
      { ...options.start, cpu: options.cpus?.connector },
    );
    started.push(connector);
    return {
      processes: { origin, edge, connector },
      urls: { public: edge.ready.urls.public!, tcp: edge.ready.urls.tcp!, tunnel: edge.ready.urls.tunnel!, ...prefixed('origin.', origin.ready.urls) },
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
