/**
 * The measurements mean what they say: a known server delay is reported as that delay, and an open loop
 * shows a stall that a closed loop hides (coordinated omission).
 */
import { createServer } from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { http1Requester } from '../../src/load/http1.ts';
import { runPaced } from '../../src/load/pacing.ts';
import { startSystem, type Supervised } from '../../src/run/supervise.ts';
import { closeServer, listen, trackConnections } from '../../src/systems/serve.ts';
import { stopAll } from '../helpers/cli.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
afterAll(stopAll);

describe('fidelity', () => {
  it('reports a known 50 ms server delay as 50 ms (within 10 %) in a closed loop', async () => {
    const origin: Supervised = await startSystem('origin', ['--port', '0']);
    cleanups.push(() => origin.stop());
    const requester = http1Requester({
      url: origin.ready.urls.http!,
      method: 'GET',
      path: '/delay/50',
      expect: { status: 200 },
      connections: 8,
    });
    const r = await runPaced(requester, { kind: 'closed', concurrency: 8 }, { warmupMs: 300, durationMs: 2000 });
    await requester.close();
    expect(r.errors).toEqual({});
    expect(r.requests).toBeGreaterThan(200);
    expect(r.latency.p50Us).toBeGreaterThanOrEqual(50_000 * 0.9);
    expect(r.latency.p50Us).toBeLessThanOrEqual(50_000 * 1.1);
    expect(r.latency.meanUs).toBeLessThanOrEqual(50_000 * 1.1);
    // 8 in flight, 50 ms each: 160 requests/s; within 10 %
    expect(r.requestsPerSec).toBeGreaterThan(160 * 0.9);
    expect(r.requestsPerSec).toBeLessThan(160 * 1.1);
  });

  it('shows a 500 ms stall in p99 and max with an open loop, which a closed loop hides', async () => {
    // Fast replies (1 ms), except that everything arriving in one 500 ms window is held until it ends.
    let stallFrom = Number.POSITIVE_INFINITY;
    const server = trackConnections(
      createServer((_req, res) => {
        const now = performance.now();
        const wait = now >= stallFrom && now < stallFrom + 500 ? stallFrom + 500 - now : 1;
        setTimeout(() => res.end('ok'), wait);
      }),
    );
    const port = await listen(server, '127.0.0.1', 0);
    cleanups.push(() => closeServer(server));
    const url = `http://127.0.0.1:${port}`;
    const spec = { url, method: 'GET', path: '/', expect: { status: 200 }, connections: 64 };

    const run = async (model: Parameters<typeof runPaced>[1]) => {
      const requester = http1Requester(spec);
      stallFrom = performance.now() + 1000; // warm-up 300 ms, then the stall 700 ms into the window
      const r = await runPaced(requester, model, { warmupMs: 300, durationMs: 2700 });
      await requester.close();
      return r;
    };
    const open = await run({ kind: 'open', ratePerSec: 200, maxInflight: 1000 });
    const closed = await run({ kind: 'closed', concurrency: 1 });
    expect(open.errors).toEqual({});
    expect(closed.errors).toEqual({});
    // open loop: ~100 of ~540 arrivals fall in the stall; they wait up to 500 ms counted from their intended time
    expect(open.latency.maxUs).toBeGreaterThan(450_000);
    expect(open.latency.p99Us).toBeGreaterThan(300_000);
    expect(open.dropped).toBe(0);
    // closed loop: one request waits; the sender waits with it, and the other ~1000 are fast
    expect(closed.latency.maxUs).toBeGreaterThan(300_000);
    expect(closed.latency.p99Us).toBeLessThan(50_000);
  });

  it('counts arrivals it could not send as dropped instead of sending them late', async () => {
    const server = trackConnections(createServer((_req, res) => setTimeout(() => res.end('ok'), 200)));
    const port = await listen(server, '127.0.0.1', 0);
    cleanups.push(() => closeServer(server));
    const requester = http1Requester({ url: `http://127.0.0.1:${port}`, method: 'GET', path: '/', expect: { status: 200 }, connections: 4 });
    // 100/s for 1 s against 200 ms replies needs ~20 in flight; allow 4
    const r = await runPaced(requester, { kind: 'open', ratePerSec: 100, maxInflight: 4 }, { warmupMs: 0, durationMs: 1000 });
    await requester.close();
    expect(r.dropped).toBeGreaterThan(50);
    expect(r.requests + r.dropped).toBeGreaterThanOrEqual(95);
    expect(r.requests + r.dropped).toBeLessThanOrEqual(101);
  });
});
