/**
 * The shaping relay (issue 16, part 1): one-way delay and bandwidth as configured, measured over real
 * sockets on loopback against the same exchange without the relay; a peer that does not read cannot make it
 * hold more than its buffer; bad options are refused by name.
 */
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ShapedDirection } from '../../src/systems/relay/link.ts';
import { startRelay } from '../../src/systems/relay/relay.ts';
import type { Running } from '../../src/systems/serve.ts';
import { runCli, stopAll } from '../helpers/cli.ts';

const open: (Running | Server | Socket)[] = [];
afterAll(async () => {
  for (const o of open) {
    if ('close' in o && 'urls' in o) await o.close();
    else if (o instanceof Promise) await o;
    else if ('destroy' in o) o.destroy();
    else (o as Server).close();
  }
  await stopAll();
});

const flat = { delayMs: 0, jitterMs: 0, bitsPerSec: 0, bufferBytes: 4 * 1024 * 1024 };

async function listening(onSocket: (s: Socket) => void): Promise<number> {
  const server = createServer(onSocket);
  open.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

async function relayTo(port: number, up: Partial<typeof flat>, down: Partial<typeof flat>): Promise<number> {
  const r = await startRelay({
    host: '127.0.0.1',
    port: 0,
    targets: [{ name: 'tcp', host: '127.0.0.1', port }],
    up: { ...flat, ...up },
    down: { ...flat, ...down },
  });
  open.push(r);
  return Number(new URL(r.urls.tcp!).port);
}

/** Median round trip of 16-byte ping-pongs over one connection to `port`, ms. */
async function medianRtt(port: number, rounds = 21): Promise<number> {
  const s = connect({ host: '127.0.0.1', port, noDelay: true });
  open.push(s);
  await once(s, 'connect');
  const rtts: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    s.write(Buffer.alloc(16, i));
    let got = 0;
    while (got < 16) got += ((await once(s, 'data')) as [Buffer])[0].length;
    rtts.push(performance.now() - t0);
  }
  s.destroy();
  return rtts.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
}

describe('muxbench serve relay', () => {
  it('adds 2 × 25 ms to a round trip with 25 ms each way (within 2 ms of it, median of 21)', async () => {
    const echo = await listening((s) => s.pipe(s));
    const direct = await medianRtt(echo);
    const shaped = await medianRtt(await relayTo(echo, { delayMs: 25 }, { delayMs: 25 }));
    const added = shaped - direct;
    expect(added, `direct ${direct.toFixed(2)} ms, through the relay ${shaped.toFixed(2)} ms`).toBeGreaterThanOrEqual(48);
    expect(added).toBeLessThanOrEqual(52);
  });

  it('holds a 10 Mbit/s limit within 5 % (2.5 MB in 2.0 s)', async () => {
    const total = 2_500_000;
    let arrived = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const sink = await listening((s) => {
      s.on('data', (c: Buffer) => {
        arrived += c.length;
        if (arrived >= total) done();
      });
    });
    const port = await relayTo(sink, { bitsPerSec: 10e6 }, {});
    const c = connect({ host: '127.0.0.1', port });
    open.push(c);
    await once(c, 'connect');
    const t0 = performance.now();
    for (let sent = 0; sent < total; sent += 16_384) c.write(Buffer.alloc(Math.min(16_384, total - sent)));
    await finished;
    const seconds = (performance.now() - t0) / 1000;
    const mbit = (total * 8) / seconds / 1e6;
    expect(mbit, `${mbit.toFixed(2)} Mbit/s in ${seconds.toFixed(3)} s`).toBeGreaterThan(9.5);
    expect(mbit).toBeLessThan(10.5);
    c.destroy();
  });

  it('shares the leg bandwidth between its connections, across its listeners (2 × 1.25 MB at 10 Mbit/s take 2.0 s)', async () => {
    const each = 1_250_000;
    let arrived = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const sink = (s: Socket): void => {
      s.on('data', (c: Buffer) => {
        arrived += c.length;
        if (arrived >= 2 * each) done();
      });
    };
    const [one, two] = [await listening(sink), await listening(sink)];
    const r = await startRelay({
      host: '127.0.0.1',
      port: 0,
      targets: [
        { name: 'one', host: '127.0.0.1', port: one },
        { name: 'two', host: '127.0.0.1', port: two },
      ],
      up: { ...flat, bitsPerSec: 10e6 },
      down: flat,
    });
    open.push(r);
    expect(Object.keys(r.urls)).toEqual(['one', 'two']);
    const clients = await Promise.all(
      [r.urls.one!, r.urls.two!].map(async (u) => {
        const c = connect({ host: '127.0.0.1', port: Number(new URL(u).port) });
        open.push(c);
        await once(c, 'connect');
        return c;
      }),
    );
    const t0 = performance.now();
    for (let sent = 0; sent < each; sent += 16_384) for (const c of clients) c.write(Buffer.alloc(Math.min(16_384, each - sent)));
    await finished;
    const seconds = (performance.now() - t0) / 1000;
    const mbit = (2 * each * 8) / seconds / 1e6;
    expect(mbit, `${mbit.toFixed(2)} Mbit/s over both in ${seconds.toFixed(3)} s`).toBeGreaterThan(9.5);
    expect(mbit).toBeLessThan(10.5);
    for (const c of clients) c.destroy();
  });

  it('holds no more than its buffer for a peer that does not read: the sender is paused instead', async () => {
    const [a, b] = await socketPair();
    const [c, d] = await socketPair();
    d.pause(); // the far peer never reads
    const dir = new ShapedDirection(b, c, { ...flat, bufferBytes: 256 * 1024 });
    let peak = 0;
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 200; i++) {
      a.write(chunk);
      await new Promise((r) => setImmediate(r));
      peak = Math.max(peak, dir.pending + c.writableLength);
    }
    // 12.8 MB offered: the relay's share stays near its 256 KiB plus what one read brings; it stopped reading,
    // so the rest waits in the kernel's buffers and the sender's
    expect(peak).toBeLessThan(256 * 1024 + 2 * 64 * 1024);
    expect(b.isPaused()).toBe(true);
    for (const s of [a, b, c, d]) s.destroy();
    dir.close();
  });

  it('refuses a missing target and a bad number by name', async () => {
    const none = await runCli(['serve', 'relay']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--target must be HOST:PORT, got nothing/);
    const bad = await runCli(['serve', 'relay', '--target', '127.0.0.1:1', '--delay-ms', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--delay-ms must be a number from 0 to 1000000, got 'soon'/);
    const twice = await runCli(['serve', 'relay', '--target', '127.0.0.1:1', '--target', '127.0.0.1:2']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/the name 'tcp' is given twice/);
  });
});

async function socketPair(): Promise<[Socket, Socket]> {
  let accepted!: (s: Socket) => void;
  const got = new Promise<Socket>((r) => (accepted = r));
  const port = await listening((s) => accepted(s));
  const c = connect({ host: '127.0.0.1', port });
  await once(c, 'connect');
  return [c, await got];
}
