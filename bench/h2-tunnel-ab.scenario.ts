import { defineScenario } from '../src/scenario/index.ts';

// bench/h2-tunnel.ts's tunnel points as a scenario, for an interleaved A/B of two revisions with the gate:
//   node bin/muxbench.js gate --base <before> --scenario bench/h2-tunnel-ab.scenario.ts --rounds 10
// GET /bytes/64 through the h2 tunnel (origin over HTTP/1.1, as cloudflared), limit 100 and 1000, 100 and
// 500 in flight, driven by our HTTP/2 engine instead of h2load (the engine agrees with h2load within a few %).
export default defineScenario({
  name: 'h2-tunnel-ab',
  description:
    "The h2 tunnel's throughput points of bench/h2-tunnel.ts (GET /bytes/64, limit 100 and 1000, 100 and 500 in flight), for an A/B of two revisions",
  systems: [{ id: 'h2-tunnel', label: 'h2 tunnel', kind: 'h2-tunnel', sweep: { streamLimit: [100, 1000] } }],
  workload: { call: 'sized', payloadBytes: 64 },
  load: { model: 'closed', concurrency: 100 },
  warmupMs: 2000,
  maxWarmupMs: 10_000,
  durationMs: 2000,
  trials: 10,
  sweep: { concurrency: [100, 500] },
});
