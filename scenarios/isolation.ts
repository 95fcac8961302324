import { defineScenario } from '../src/scenario/index.ts';

// Head-of-line isolation: what bulk transfers on the same connections do to small calls. Each point runs
// 200 small echo calls (64 B, closed loop) — alone (bulk.concurrency 0), then with 4 clients each pulling
// 4 MiB bodies back to back. The tunnels carry both groups over their shared tunnel connection(s)
// (the load's public connections are the groups' own); http_grpc puts both groups' calls into the same
// POSTs (one client). The bulk transfers are plain large-body downloads: the engines read every reply
// as fast as it comes and have no slow reader. A trial must outlast one 4 MiB transfer (a few hundred ms
// through a tunnel on a busy 2-core machine), or the bulk group completes nothing and fails the point.
// For cloudflared's own windows and connections add
// { id: 'h2-tunnel-cloudflared', kind: 'h2-tunnel', preset: 'cloudflared' } (left out to keep --quick short).
export default defineScenario({
  name: 'isolation',
  description:
    'Head-of-line isolation: the p99 of 200 concurrent 64 B calls alone and while 4 clients pull 4 MiB bodies through the same tunnel connection (h2 tunnel, grpc tunnel) or the same POSTs (http_grpc)',
  systems: [
    { id: 'h2-tunnel', label: 'h2 tunnel (limit 100)', kind: 'h2-tunnel', streamLimit: 100 },
    { id: 'grpc-tunnel', label: 'grpc tunnel (1 stream)', kind: 'grpc-tunnel' },
    { id: 'http-grpc-streaming', label: 'http_grpc streaming', kind: 'http-grpc', mode: 'streaming' },
    { id: 'http-grpc-compat', label: 'http_grpc compat (64/POST)', kind: 'http-grpc', mode: 'compat' },
  ],
  groups: [
    { id: 'small', label: '64 B calls', workload: { call: 'echo', payloadBytes: 64 }, load: { model: 'closed', concurrency: 200 } },
    {
      id: 'bulk',
      label: '4 MiB downloads',
      workload: { call: 'sized', payloadBytes: 4 * 1024 * 1024 },
      load: { model: 'closed', concurrency: 4 },
      // 0: the small calls alone; 4: with the bulk transfers
      sweep: { concurrency: [0, 4] },
    },
  ],
  warmupMs: 1000,
  maxWarmupMs: 10_000,
  durationMs: 2000,
  trials: 3,
  quick: { warmupMs: 500, maxWarmupMs: 2500, durationMs: 1000, trials: 1 },
});
