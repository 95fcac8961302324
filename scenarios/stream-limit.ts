import { defineScenario } from '../src/scenario/index.ts';

export default defineScenario({
  name: 'stream-limit',
  description:
    'The h2 tunnel with 10 / 100 / 1000 / unlimited advertised concurrent streams against concurrency 50 → 1000, each call held 20 ms at the origin; the grpc tunnel (no stream limit) and http_grpc compat (64 calls per POST) and streaming for contrast',
  systems: [
    { id: 'h2-tunnel', label: 'h2 tunnel', kind: 'h2-tunnel', sweep: { streamLimit: [10, 100, 1000, 0] } },
    { id: 'http-grpc-compat', label: 'http_grpc compat (64/POST)', kind: 'http-grpc', mode: 'compat' },
    { id: 'http-grpc-streaming', label: 'http_grpc streaming', kind: 'http-grpc', mode: 'streaming' },
    { id: 'grpc-tunnel', label: 'grpc tunnel (no stream limit)', kind: 'grpc-tunnel' },
  ],
  workload: { call: 'sleep', payloadBytes: 64, delayMs: 20 },
  load: { model: 'closed', concurrency: 50 },
  warmupMs: 2000,
  maxWarmupMs: 15_000,
  durationMs: 1500,
  trials: 3,
  sweep: { concurrency: [50, 200, 500, 1000] },
  quick: { warmupMs: 1000, maxWarmupMs: 8000, durationMs: 600, trials: 1, sweep: { concurrency: [50, 500] } },
});
