/**
 * The tunnel at a distance (issue 16): small echo calls while a shaping relay puts 0, 10, 50 and 150 ms of
 * round trip on the link each design carries its calls over — edge ↔ connector for the tunnels, the POSTs
 * between client and server for http_grpc. A call holds an h2 tunnel stream for the round trip plus its
 * service time, so past its stream limit the tunnel carries at most limit / (RTT + service time): Little's
 * law. The service time is measured, not assumed: a lone call's latency at the same distance (10 in flight).
 * The designs without a limit carry all 400 calls at once and keep scaling. The `distance-ceiling` claim
 * holds each loaded point against its ceiling (src/report/ceilings.ts); at 0 ms the CPU bounds every design,
 * and that throughput caps the farther points too.
 */
import { defineScenario } from '../src/scenario/index.ts';

export default defineScenario({
  name: 'tunnel-distance',
  description:
    'Small echo calls (10 and 400 in flight) with 0 / 10 / 50 / 150 ms of round trip on the link each design carries them over: the h2 tunnel with its 100-stream limit on one connection, the grpc tunnel (one stream, no limit) and http_grpc streaming (one POST)',
  systems: [
    { id: 'h2-tunnel', label: 'h2 tunnel, limit 100', kind: 'h2-tunnel', streamLimit: 100, sweep: { tunnelRttMs: [0, 10, 50, 150] } },
    { id: 'grpc-tunnel', label: 'grpc tunnel', kind: 'grpc-tunnel', sweep: { tunnelRttMs: [0, 10, 50, 150] } },
    { id: 'http-grpc', label: 'http_grpc streaming', kind: 'http-grpc', mode: 'streaming', sweep: { tunnelRttMs: [0, 10, 50, 150] } },
  ],
  workload: { call: 'echo', payloadBytes: 64 },
  load: { model: 'closed', concurrency: 10 },
  sweep: { concurrency: [10, 400] },
  warmupMs: 2000,
  maxWarmupMs: 12_000,
  durationMs: 3000,
  trials: 3,
  quick: {
    warmupMs: 1000,
    maxWarmupMs: 6000,
    durationMs: 2000,
    trials: 1,
  },
  claims: [
    {
      kind: 'distance-ceiling',
      id: 'limit-over-distance',
      claim:
        'Past its 100-stream limit the h2 tunnel carries at most limit / (RTT + service time), so its ceiling falls with distance; designs without a limit keep scaling with the calls in flight',
      source: 'seed 000 (the 100-concurrent-streams default); Little’s law',
      limited: 'h2-tunnel',
      unlimited: ['grpc-tunnel', 'http-grpc'],
    },
  ],
});
