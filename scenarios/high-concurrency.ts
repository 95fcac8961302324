import { defineScenario } from '../src/scenario/index.ts';

export default defineScenario({
  name: 'high-concurrency',
  description:
    'Concurrency 1 → 2000 with tiny echo calls: many calls in one POST (http_grpc), one HTTP/2 stream per request through a tunnel limited to 100 streams, and one gRPC stream with request ids',
  systems: [
    { id: 'http-grpc-streaming', label: 'http_grpc streaming', kind: 'http-grpc', mode: 'streaming' },
    { id: 'http-grpc-compat', label: 'http_grpc compat (64/POST)', kind: 'http-grpc', mode: 'compat' },
    { id: 'h2-tunnel', label: 'h2 tunnel (limit 100)', kind: 'h2-tunnel', streamLimit: 100 },
    { id: 'grpc-tunnel', label: 'grpc tunnel (1 stream, request ids)', kind: 'grpc-tunnel' },
    { id: 'origin-direct', label: 'origin direct (baseline)', kind: 'origin' },
  ],
  workload: { call: 'echo', payloadBytes: 64 },
  load: { model: 'closed', concurrency: 1 },
  warmupMs: 2000,
  maxWarmupMs: 15_000,
  durationMs: 1500,
  trials: 3,
  sweep: { concurrency: [1, 10, 100, 2000] },
  // quick: the high-concurrency point alone (the sweep's low end is in the full run), so `make bench QUICK=1`
  // stays short
  quick: { warmupMs: 1000, maxWarmupMs: 4000, durationMs: 600, trials: 1, sweep: { concurrency: [1000] } },
});
