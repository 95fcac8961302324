import { defineScenario } from '../src/scenario/index.ts';

export default defineScenario({
  name: 'smoke',
  description: 'Every system, a few small points: checks that everything starts, answers correctly and is measured',
  systems: [
    { id: 'http-grpc-streaming', label: 'http_grpc streaming', kind: 'http-grpc', mode: 'streaming' },
    { id: 'http-grpc-compat', label: 'http_grpc compat (64/POST)', kind: 'http-grpc', mode: 'compat' },
    { id: 'h2-tunnel', label: 'h2 tunnel (limit 100)', kind: 'h2-tunnel', streamLimit: 100 },
    { id: 'grpc-tunnel', label: 'grpc tunnel (1 stream)', kind: 'grpc-tunnel' },
    { id: 'origin-direct', label: 'origin, direct (baseline)', kind: 'origin' },
  ],
  workload: { call: 'echo', payloadBytes: 64 },
  load: { model: 'closed', concurrency: 10 },
  warmupMs: 300,
  maxWarmupMs: 5000,
  durationMs: 1500,
  trials: 1,
  sweep: { concurrency: [10, 200] },
});
