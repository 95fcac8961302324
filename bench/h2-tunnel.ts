/**
 * The h2-stream tunnel against its references, in one run on the same cores: requests/s and p50/p99 at
 * concurrency 100 and 500 for direct-to-origin, the tunnel with stream limit 100 and 1000, and nghttpx
 * (a C HTTP/2 proxy) in front of the same origin — each proxy once talking HTTP/1.1 to the origin
 * (cloudflared's and nghttpx's default) and once h2c, and compared like with like. h2load drives every
 * path (pinned to core 1); the system under test — every process of it — is pinned to core 0.
 *
 *   node bin/run-ts.js bench/h2-tunnel.ts [--duration-ms 5000] [--warmup-ms 1000] [--trials 3] [--path /bytes/64]
 */
import { parseArgs } from 'node:util';
import { startNghttpxStack, startTunnelStack } from '../src/run/stacks.ts';
import { startSystem, type Supervised } from '../src/run/supervise.ts';
import { environment, type H2loadPoint, h2loadPoint, writeBenchResult } from './lib.ts';

const { values } = parseArgs({
  options: {
    'duration-ms': { type: 'string', default: '5000' },
    'warmup-ms': { type: 'string', default: '1000' },
    trials: { type: 'string', default: '3' },
    path: { type: 'string', default: '/bytes/64' },
    'system-cpu': { type: 'string', default: '0' },
    'load-cpu': { type: 'string', default: '1' },
  },
});
const durationMs = Number(values['duration-ms']);
const warmupMs = Number(values['warmup-ms']);
const trials = Number(values.trials);
const systemCpu = values['system-cpu'];
const loadCpu = values['load-cpu'];
const path = values.path!;
const CONCURRENCY = [100, 500];

interface Target {
  name: string;
  url: string;
  processes: Supervised[];
  stop(): Promise<void>;
}

async function direct(): Promise<Target> {
  const origin = await startSystem('origin', ['--port', '0'], { cpu: systemCpu });
  return { name: 'direct to origin', url: origin.ready.urls.http!, processes: [origin], stop: async () => void (await origin.stop()) };
}

type OriginProtocol = 'http1' | 'h2c';

async function tunnel(limit: number, origin: OriginProtocol): Promise<Target> {
  const s = await startTunnelStack({
    design: 'h2',
    connectorArgs: ['--max-concurrent-streams', String(limit), '--origin-protocol', origin],
    cpus: { origin: systemCpu, edge: systemCpu, connector: systemCpu },
  });
  return { name: `h2 tunnel, limit ${limit}, origin ${origin}`, url: s.urls.public!, processes: Object.values(s.processes), stop: s.stop };
}

async function nghttpx(protocol: OriginProtocol): Promise<Target> {
  const s = await startNghttpxStack({ originProtocol: protocol, cpu: systemCpu });
  return { name: `nghttpx, origin ${protocol}`, url: s.urls.http!, processes: [s.processes.origin!, s.processes.nghttpx!], stop: s.stop };
}

const ORIGIN_PROTOCOLS: OriginProtocol[] = ['http1', 'h2c'];
const makers: (() => Promise<Target>)[] = [direct, ...ORIGIN_PROTOCOLS.flatMap((o) => [() => tunnel(100, o), () => tunnel(1000, o), () => nghttpx(o)])];
const results: ({ path: string } & H2loadPoint)[] = [];
for (const make of makers) {
  const target = await make();
  try {
    for (const concurrency of CONCURRENCY) {
      const point = await h2loadPoint(
        target.name,
        `${target.url}${path}`,
        target.processes.map((p) => p.pid),
        concurrency,
        { trials, durationMs, warmupMs, loadCpu },
      );
      results.push({ path: target.name, ...point });
    }
  } finally {
    await target.stop();
  }
}

const rps = (path: string, c: number): number => results.find((r) => r.path === path && r.concurrency === c)?.medianRequestsPerSec ?? Number.NaN;
/** the tunnel's throughput over nghttpx's, each talking to the origin the same way */
const ratios = ORIGIN_PROTOCOLS.flatMap((o) =>
  CONCURRENCY.map((c) => ({
    origin: o,
    concurrency: c,
    tunnel100VsNghttpx: Math.round((rps(`h2 tunnel, limit 100, origin ${o}`, c) / rps(`nghttpx, origin ${o}`, c)) * 100) / 100,
    tunnel1000VsNghttpx: Math.round((rps(`h2 tunnel, limit 1000, origin ${o}`, c) / rps(`nghttpx, origin ${o}`, c)) * 100) / 100,
  })),
);
writeBenchResult('h2-tunnel', {
  bench: 'h2-tunnel',
  environment: environment({ pinned: `system on core ${systemCpu}, h2load on core ${loadCpu}` }),
  path,
  durationMs,
  warmupMs,
  results,
  ratios,
});
