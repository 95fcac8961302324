import { defineScenario } from '../src/scenario/index.ts';

// The pull-request profile of `muxbench gate` (about 4 minutes with 8 rounds): small enough for every
// pull request, wide enough that a slowdown in any system shows. Tiny echo calls keep each system busy,
// so CPU time per request and throughput both move when a code path gets slower.
export default defineScenario({
  name: 'gate',
  description:
    'The regression gate profile: both tunnels below and past the 100-stream limit (50 and 200 in flight), http_grpc compat and streaming at 256 calls in flight, the origin alone as a control',
  systems: [
    { id: 'origin-direct', label: 'origin direct (control)', kind: 'origin' },
    { id: 'http-grpc-compat', label: 'http_grpc compat (64/POST)', kind: 'http-grpc', mode: 'compat', sweep: { concurrency: [256] } },
    { id: 'http-grpc-streaming', label: 'http_grpc streaming', kind: 'http-grpc', mode: 'streaming', sweep: { concurrency: [256] } },
    { id: 'h2-tunnel', label: 'h2 tunnel (limit 100)', kind: 'h2-tunnel', streamLimit: 100, sweep: { concurrency: [50, 200] } },
    { id: 'grpc-tunnel', label: 'grpc tunnel', kind: 'grpc-tunnel', sweep: { concurrency: [50, 200] } },
  ],
  workload: { call: 'echo', payloadBytes: 64 },
  load: { model: 'closed', concurrency: 100 },
  warmupMs: 1000,
  maxWarmupMs: 8000,
  durationMs: 1000,
  trials: 8,
  quick: { trials: 2 },
});
