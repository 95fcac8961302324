/**
 * The continuous load loop against real HTTP servers on loopback: warm-up until steady (and the cap when
 * it never settles), trials back to back on one load, pause and resume, an open loop that sleeps between
 * arrivals, and a target that refuses every connection.
 */
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { http1Requester } from '../../src/load/http1.ts';
import { LoadLoop } from '../../src/load/loop.ts';
import { DEFAULT_STEADY_POLICY } from '../../src/measure/steady.ts';
import { freePort } from '../../src/run/free-port.ts';
import { closeServer, listen, trackConnections } from '../../src/systems/serve.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An HTTP server answering after `delayMs()` ms; counts the requests it got. */
async function server(delayMs: () => number): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const s = trackConnections(
    createServer((_req, res) => {
      hits++;
      setTimeout(() => res.end('ok'), delayMs());
    }),
  );
  const port = await listen(s, '127.0.0.1', 0);
  cleanups.push(() => closeServer(s));
  return { url: `http://127.0.0.1:${port}`, hits: () => hits };
}

function loopFor(url: string, model: ConstructorParameters<typeof LoadLoop>[1], connections = 8): LoadLoop {
  const requester = http1Requester({ url, method: 'GET', path: '/', expect: { status: 200 }, connections });
  const loop = new LoadLoop(requester, model, 2000);
  cleanups.push(async () => {
    await loop.close();
    await requester.close();
  });
  return loop;
}

describe('LoadLoop', () => {
  it('warms up until throughput settles, then measures trials back to back on the same load', async () => {
    const { url } = await server(() => 2);
    const loop = loopFor(url, { kind: 'closed', concurrency: 8 });
    const warm = await loop.warmUp({ ...DEFAULT_STEADY_POLICY, minMs: 500, maxMs: 8000 });
    expect(warm.steady).toBe(true);
    expect(warm.elapsedMs).toBeGreaterThanOrEqual(500);
    expect(warm.last!.spread).toBeLessThanOrEqual(warm.last!.tolerance);
    expect(warm.series.length).toBeGreaterThanOrEqual(15);
    const trials = [];
    for (let i = 0; i < 3; i++) trials.push(await loop.measure(500));
    let lastAt = warm.series.at(-1)!.atMs;
    for (const t of trials) {
      expect(t.errors).toEqual({});
      expect(t.requests).toBeGreaterThan(100);
      expect(t.abandoned).toBe(0);
      expect(t.elapsedMs).toBeGreaterThanOrEqual(495);
      // the trial's own windows, in order, after everything before
      const s = t.series!;
      expect(s.length).toBeGreaterThanOrEqual(4);
      expect(s.reduce((n, w) => n + w.ok, 0)).toBe(t.requests);
      for (const w of s) {
        expect(w.atMs).toBeGreaterThan(lastAt);
        lastAt = w.atMs;
        if (w.ok > 0) expect(w.p99Us).toBeGreaterThan(1000);
      }
    }
  });

  it('stops warming at the cap and says the load never settled', async () => {
    // replies keep getting faster (50 ms at the start, 10 ms after 2 s): throughput never stops climbing
    const t0 = performance.now();
    const { url } = await server(() => 50 / (1 + (2 * (performance.now() - t0)) / 1000));
    const loop = loopFor(url, { kind: 'closed', concurrency: 8 });
    const warm = await loop.warmUp({ ...DEFAULT_STEADY_POLICY, minMs: 300, maxMs: 2500 });
    expect(warm.steady).toBe(false);
    expect(warm.elapsedMs).toBeGreaterThanOrEqual(2500);
    expect(warm.elapsedMs).toBeLessThan(4000);
    expect(warm.last!.spread).toBeGreaterThan(warm.last!.tolerance);
  });

  it('warms load groups up together, until the primary (the first) has settled', async () => {
    const t0 = performance.now();
    const climbing = await server(() => 50 / (1 + (2 * (performance.now() - t0)) / 1000));
    const settled = await server(() => 2);
    // a primary that never settles holds every group in warm-up until the cap
    const a = loopFor(climbing.url, { kind: 'closed', concurrency: 8 });
    const b = loopFor(settled.url, { kind: 'closed', concurrency: 4 });
    const [wa, wb] = await LoadLoop.warmUpTogether([a, b], { ...DEFAULT_STEADY_POLICY, minMs: 300, maxMs: 2000 });
    expect([wa!.steady, wb!.steady]).toEqual([false, false]);
    expect(wa!.elapsedMs).toBe(wb!.elapsedMs);
    expect(wa!.elapsedMs).toBeGreaterThanOrEqual(2000);
    // both series kept (windows whose requests are still out are not final yet: fewer than 20)
    expect(wa!.series.length).toBeGreaterThanOrEqual(10);
    expect(wb!.series.length).toBeGreaterThanOrEqual(10);
    await Promise.all([a.pause(), b.pause()]);
    // a background group that is still climbing does not hold a settled primary back
    const [wb2, wa2] = await LoadLoop.warmUpTogether([b, a], { ...DEFAULT_STEADY_POLICY, minMs: 300, maxMs: 8000 });
    expect([wb2!.steady, wa2!.steady]).toEqual([true, true]);
    expect(wb2!.elapsedMs).toBeLessThan(8000);
    expect(wa2!.elapsedMs).toBe(wb2!.elapsedMs);
  });

  it('sends nothing while paused, answers everything it sent, and measures again after a resume', async () => {
    const { url, hits } = await server(() => 5);
    const loop = loopFor(url, { kind: 'closed', concurrency: 4 });
    loop.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(await loop.pause()).toBe(0);
    const before = hits();
    await new Promise((r) => setTimeout(r, 300));
    expect(hits()).toBe(before);
    const t = await loop.measure(400);
    expect(t.requests).toBeGreaterThan(50);
    expect(t.errors).toEqual({});
  });

  it('runs an open loop without spinning: it sleeps between arrivals and records how late sends left', async () => {
    const { url } = await server(() => 0);
    const loop = loopFor(url, { kind: 'open', ratePerSec: 500, maxInflight: 1000 }, 16);
    loop.start();
    await new Promise((r) => setTimeout(r, 300));
    const t = await loop.measure(1500);
    // 500/s for 1.5 s
    expect(t.requests + t.dropped).toBeGreaterThanOrEqual(700);
    expect(t.requests + t.dropped).toBeLessThanOrEqual(800);
    expect(t.dropped).toBe(0);
    // the old pacer re-armed itself with setImmediate below 2 ms to the next arrival: a whole core at 500/s
    expect(t.generatorCpu).toBeLessThan(0.5);
    expect(t.sendLag).toBeDefined();
    expect(t.sendLag!.p50Us).toBeGreaterThanOrEqual(0);
    expect(t.sendLag!.maxUs).toBeGreaterThanOrEqual(t.sendLag!.p99Us);
  });

  it('counts every failure against a port where nothing listens, and stays responsive', async () => {
    const port = await freePort();
    const loop = loopFor(`http://127.0.0.1:${port}`, { kind: 'closed', concurrency: 4 });
    const t = await loop.measure(400);
    expect(t.requests).toBe(0);
    expect(Object.values(t.errors).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(t.elapsedMs).toBeLessThan(1500);
  });

  it('shifts an open loop’s arrivals by its phase, from a start instant it is given', async () => {
    let firstAt = 0;
    const s = trackConnections(
      createServer((_req, res) => {
        firstAt ||= performance.now();
        res.end('ok');
      }),
    );
    const port = await listen(s, '127.0.0.1', 0);
    cleanups.push(() => closeServer(s));
    // 4/s: one arrival every 250 ms; phase 0.6 puts the first at 150 ms after the anchor
    const loop = loopFor(`http://127.0.0.1:${port}`, { kind: 'open', ratePerSec: 4, maxInflight: 4, phase: 0.6 });
    const anchor = performance.now();
    loop.start(anchor);
    await new Promise((r) => setTimeout(r, 400));
    expect(firstAt - anchor).toBeGreaterThanOrEqual(149);
    expect(firstAt - anchor).toBeLessThan(400); // before the second arrival, at 400 ms
    expect(() => loopFor('http://127.0.0.1:1', { kind: 'open', ratePerSec: 4, maxInflight: 4, phase: 1 })).toThrow(/phase must be in \[0, 1\)/);
  });
});
