import { defineScenario } from '../src/scenario/index.ts';

export default defineScenario({
  name: 'batch-window',
  description: 'The http_grpc client batch window 0 / 1 / 9 ms (9 ms is the crate’s browser client): what batching buys in throughput and costs in latency',
  systems: [
    { id: 'http-grpc-compat', label: 'http_grpc compat (64/POST)', kind: 'http-grpc', mode: 'compat' },
    { id: 'http-grpc-streaming', label: 'http_grpc streaming (1 open POST)', kind: 'http-grpc', mode: 'streaming' },
  ],
  workload: { call: 'echo', payloadBytes: 64 },
  load: { model: 'closed', concurrency: 1 },
  warmupMs: 2000,
  maxWarmupMs: 15_000,
  durationMs: 1500,
  trials: 3,
  // the window is how each server is started, so it varies slowest (one start per window and mode)
  sweep: { batchWindowMs: [0, 1, 9], concurrency: [1, 256] },
  // quick: the ends of the range only, so `make bench QUICK=1` stays short
  quick: { warmupMs: 1000, maxWarmupMs: 4000, durationMs: 600, trials: 1, sweep: { batchWindowMs: [0, 9], concurrency: [1, 256] } },
});
