/**
 * Flow-control windows at a distance (issue 16). One body at a time is downloaded through the h2 tunnel
 * while a shaping relay puts 0, 25, 50 and 100 ms of round trip between edge and connector. A receiver lets
 * its peer send one window ahead, so each window's worth of body costs one tunnel round trip: a stream
 * carries at most window / RTT (64 KiB at 50 ms: 1.3 MB/s), whatever the CPU. The `window-ceiling` claim
 * holds every point against that ceiling (src/report/ceilings.ts), drawn dashed on the charts, plus the
 * time the same body takes at 0 ms — each window must also be pushed through the processes (and the relay)
 * on the systems' core before it comes back, which a 1 MiB window at 25 ms notices (~7 ms a round).
 *
 * Each body is 16 KiB short of eight windows, so a transfer takes eight round trips. A body of exactly k
 * windows strands its last few bytes: the receiver gives window back in 4 KiB steps (Go's rule, which
 * cloudflared runs, and src/h2/flow.ts), so a tail under 4 KiB waits one more round trip.
 */
import { defineScenario, type ScenarioInput } from '../src/scenario/index.ts';

type SystemInput = ScenarioInput['systems'][number];

const KiB = 1024;
const MiB = 1024 * KiB;

/** eight round trips' worth of body through a window of `w` bytes */
const body = (w: number): number => 8 * w - 16 * KiB;

/** one stream, bounded by its stream window (the session window is far larger) */
const streamBound = (w: number, slug: string, name: string): SystemInput => ({
  id: `stream-${slug}`,
  label: `${name} stream window`,
  kind: 'h2-tunnel',
  streamWindowBytes: w,
  sessionWindowBytes: 16 * MiB,
  sweep: { payloadBytes: [body(w)] },
});

export default defineScenario({
  name: 'window-rtt',
  description:
    'Bulk downloads through the h2 tunnel, one at a time, with 0 / 25 / 50 / 100 ms of round trip between edge and connector: 64 KiB, 256 KiB and 1 MiB stream windows, and four streams sharing a 256 KiB session window, each against its window / RTT ceiling',
  systems: [
    streamBound(64 * KiB, '64k', '64 KiB'),
    streamBound(256 * KiB, '256k', '256 KiB'),
    streamBound(MiB, '1m', '1 MiB'),
    {
      id: 'session-256k',
      label: '4 streams, 256 KiB session window',
      kind: 'h2-tunnel',
      streamWindowBytes: MiB,
      sessionWindowBytes: 256 * KiB,
      // four streams share the session window: 64 KiB each, eight round trips per body
      sweep: { concurrency: [4], payloadBytes: [body(64 * KiB)] },
    },
  ],
  workload: { call: 'sized' },
  load: { model: 'closed', concurrency: 1 },
  network: { tunnel: { rttMs: 50 } },
  sweep: { tunnelRttMs: [0, 25, 50, 100] },
  warmupMs: 2000,
  maxWarmupMs: 10_000,
  durationMs: 8000,
  trials: 3,
  quick: { warmupMs: 1000, maxWarmupMs: 5000, durationMs: 4000, trials: 1, sweep: { tunnelRttMs: [0, 50] } },
  claims: [
    {
      kind: 'window-ceiling',
      id: 'window-over-rtt',
      claim: 'A flow-control window caps one stream near window / RTT, whatever the CPU: 64 KiB at 50 ms is about 1.3 MB/s',
      source: 'issue 16; RFC 9113 §5.2 (flow control), the bandwidth-delay product',
      systems: ['stream-64k', 'stream-256k', 'stream-1m', 'session-256k'],
    },
  ],
});
