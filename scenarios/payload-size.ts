import { defineScenario } from '../src/scenario/index.ts';

export default defineScenario({
  name: 'payload-size',
  description: 'Echo payloads from 16 B to 4 MiB at concurrency 10: where framing overhead stops mattering and flow-control windows start to',
  systems: [
    { id: 'http-grpc-streaming', label: 'http_grpc streaming', kind: 'http-grpc', mode: 'streaming' },
    { id: 'http-grpc-compat', label: 'http_grpc compat (64/POST)', kind: 'http-grpc', mode: 'compat' },
    { id: 'h2-tunnel', label: 'h2 tunnel (limit 100)', kind: 'h2-tunnel', streamLimit: 100 },
    { id: 'grpc-tunnel', label: 'grpc tunnel (1 stream, request ids)', kind: 'grpc-tunnel' },
    { id: 'origin-direct', label: 'origin direct (baseline)', kind: 'origin' },
  ],
  workload: { call: 'echo', payloadBytes: 16 },
  load: { model: 'closed', concurrency: 10 },
  // a 4 MiB echo through a tunnel takes seconds at concurrency 10: the trial must outlast one request
  warmupMs: 2000,
  maxWarmupMs: 15_000,
  durationMs: 2500,
  trials: 3,
  sweep: { payloadBytes: [16, 4096, 262_144, 4_194_304] },
  quick: { warmupMs: 1000, maxWarmupMs: 4000, durationMs: 600, trials: 1, sweep: { payloadBytes: [16, 1_048_576] } },
});
