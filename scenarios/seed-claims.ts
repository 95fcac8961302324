import { defineScenario } from '../src/scenario/index.ts';

// The claims of the seeds' comparison tables, measured: seed 000 (one HTTP/2 stream per request through
// the tunnel, as cloudflared does, against one gRPC stream carrying request ids) and seed 002 (http_grpc:
// many calls in one HTTP request). Every call is held 100 ms at the origin (or by the http_grpc server's
// sleep function), so a stream limit of L carries at most L / 100 ms = 10 L calls per second — Little's law
// gives the ceiling the limit claim is judged against. The calls run alone, then beside 4 clients pulling
// 4 MiB bodies through the same tunnel connection(s) or POSTs (isolation). Memory per request in flight is
// the slope of the systems' RSS (origin excluded) over 100 → 10,000 calls in flight; the points without the
// bulk transfers are measured first, so their buffers do not count. The verdicts are computed from the
// points when the report is drawn (src/report/claims.ts); the report's first section lists them.
const tunnelClaimsSource = 'seed 000, §2 性能对比 (performance comparison)';

export default defineScenario({
  name: 'seed-claims',
  description:
    "The seeds' claims measured: stream limit, latency, throughput and memory per request in flight of one HTTP/2 stream per request (h2 tunnel) against one gRPC stream with request ids (grpc tunnel), isolation of small calls beside bulk transfers, and http_grpc's many calls in one POST against one call per POST; calls held 100 ms, 100 → 10,000 in flight",
  systems: [
    // 100 streams × 100 ms carry 1,000 calls/s, so 10,000 in flight would wait 10 s — longer than a trial
    // and its drain: this design stops at 1,000 (the claims compare it there).
    {
      id: 'h2-tunnel-100',
      label: 'h2 tunnel (1 connection, limit 100)',
      kind: 'h2-tunnel',
      streamLimit: 100,
      groups: { calls: { concurrency: [100, 1000] } },
    },
    { id: 'h2-tunnel-cloudflared', label: 'h2 tunnel (cloudflared preset)', kind: 'h2-tunnel', preset: 'cloudflared' },
    { id: 'grpc-tunnel', label: 'grpc tunnel (1 stream, request ids)', kind: 'grpc-tunnel' },
    { id: 'http-grpc-batched', label: 'http_grpc compat (64 calls/POST)', kind: 'http-grpc', mode: 'compat' },
    // One call per POST over 100 keep-alive HTTP/1.1 connections: the same server and codec without the
    // batching, so at most 100 calls at once (one request per connection at a time) — the cost the seed's
    // "many calls in one request" avoids.
    // (the same 1,000 calls/s bound as the limited tunnel: it, too, stops at 1,000 in flight).
    {
      id: 'http-grpc-single',
      label: 'http_grpc compat (1 call/POST)',
      kind: 'http-grpc',
      mode: 'compat',
      maxCallsPerBatch: 1,
      clientConnections: 100,
      groups: { calls: { concurrency: [100, 1000] } },
    },
  ],
  groups: [
    {
      id: 'calls',
      label: '64 B calls held 100 ms',
      workload: { call: 'sleep', payloadBytes: 64, delayMs: 100 },
      load: { model: 'closed', concurrency: 100 },
      sweep: { concurrency: [100, 1000, 10_000] },
    },
    {
      id: 'bulk',
      label: '4 MiB downloads',
      workload: { call: 'sized', payloadBytes: 4 * 1024 * 1024 },
      load: { model: 'closed', concurrency: 4 },
      // 0: the calls alone; 4: beside 4 clients downloading back to back
      sweep: { concurrency: [0, 4] },
    },
  ],
  warmupMs: 1500,
  maxWarmupMs: 10_000,
  durationMs: 2000,
  trials: 3,
  quick: { warmupMs: 800, maxWarmupMs: 4000, durationMs: 1000, trials: 1, groups: { calls: { concurrency: [100, 2000] } } },
  claims: [
    {
      id: 'stream-limit',
      kind: 'stream-limit',
      claim: 'H2 stream per request: HTTP/2 multiplexing, at most 100 streams (per connection); the single gRPC stream: in theory unlimited',
      source: `${tunnelClaimsSource}: 并发能力 (concurrency)`,
      limited: 'h2-tunnel-100',
      limit: 100,
      unlimited: ['grpc-tunnel', 'h2-tunnel-cloudflared'],
    },
    {
      id: 'latency',
      kind: 'comparable',
      claim: 'Latency: low for both (HTTP/2 optimised, gRPC optimised)',
      source: `${tunnelClaimsSource}: 延迟 (latency)`,
      metric: 'latency',
      systems: ['h2-tunnel-100', 'grpc-tunnel'],
    },
    {
      id: 'throughput',
      kind: 'comparable',
      claim: 'Throughput: high for both; "performance comparable, each has its strengths"',
      source: `${tunnelClaimsSource}: 吞吐量 (throughput) and 结论 (conclusion)`,
      metric: 'throughput',
      systems: ['h2-tunnel-cloudflared', 'grpc-tunnel'],
    },
    {
      id: 'memory',
      kind: 'memory',
      claim: 'Memory: each H2 stream has its own buffer; the single gRPC stream uses less memory',
      source: `${tunnelClaimsSource}: 内存占用 (memory use)`,
      lower: 'grpc-tunnel',
      higher: 'h2-tunnel-cloudflared',
    },
    {
      id: 'isolation-h2',
      kind: 'isolation',
      claim: 'Isolation: each request has its own stream, so requests do not interfere',
      source: 'seed 000, 方案 1 特点: 隔离 (option 1, features: isolation)',
      systems: ['h2-tunnel-100', 'h2-tunnel-cloudflared'],
      group: 'bulk',
    },
    {
      id: 'isolation-shared',
      kind: 'isolation',
      claim: 'The counterpart: every request in one gRPC stream (or one POST) — does a bulk transfer hold up the small calls sharing it?',
      source: 'seed 000, 方案 2 (option 2: all requests in one stream; the seed names no isolation either way)',
      systems: ['grpc-tunnel', 'http-grpc-batched'],
      group: 'bulk',
    },
    {
      id: 'one-request-many-calls',
      kind: 'batching',
      claim: 'http_grpc: multiplexing many calls in one HTTP request is efficient for many concurrent fetches',
      source: 'seed 002, Introduction',
      batched: 'http-grpc-batched',
      unbatched: 'http-grpc-single',
    },
  ],
});
