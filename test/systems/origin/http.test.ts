/**
 * The HTTP origin over real sockets: curl over HTTP/1.1 and h2c prior knowledge for every endpoint, and
 * node's own clients where a test needs to act mid-exchange (stream while uploading, hang up mid-delay).
 */
import { request as h1request } from 'node:http';
import { connect as h2connect, constants as h2constants } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isPattern, patternBytes } from '../../../src/wire/payload.ts';
import type { Running } from '../../../src/systems/serve.ts';
import { startOrigin } from '../../../src/systems/origin/system.ts';
import { curl } from '../../helpers/curl.ts';

let origin: Running;
let base: string;

beforeAll(async () => {
  origin = await startOrigin({ host: '127.0.0.1', port: 0, grpcPort: 0, wsPort: 0, tcpPort: 0 });
  base = origin.urls.http!;
});
afterAll(() => origin.close());

describe.each([
  ['HTTP/1.1', ['--http1.1']],
  ['h2c', ['--http2-prior-knowledge']],
])('HTTP origin over %s, called by curl', (protocol, args) => {
  const expectProtocol = (headers: Record<string, string[]>): void => {
    // h2 responses carry no connection header; HTTP/1.1 ones from node always do.
    expect(headers.connection === undefined).toBe(protocol === 'h2c');
  };

  it('/echo streams the body back with its content-type and x-echo-* headers', async () => {
    const body = Buffer.from('hello through the tunnel\n');
    const r = await curl(`${base}/echo`, [...args, '-H', 'content-type: text/x-test', '-H', 'x-echo-trace: abc 123', '-H', 'x-other: no'], body);
    expect(r.status).toBe(200);
    expect(r.body.equals(body)).toBe(true);
    expect(r.headers['content-type']).toEqual(['text/x-test']);
    expect(r.headers['x-echo-trace']).toEqual(['abc 123']);
    expect(r.headers['x-other']).toBeUndefined();
    expectProtocol(r.headers);
  });

  it('/echo returns a large body byte for byte, octet-stream when no content-type was sent', async () => {
    const body = patternBytes(3 * 1024 * 1024 + 7);
    const r = await curl(`${base}/echo`, [...args, '-H', 'content-type:'], body);
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(body.length);
    expect(isPattern(r.body)).toBe(true);
    expect(r.headers['content-type']).toEqual(['application/octet-stream']);
  });

  it.each([0, 1, 1000, 5 * 1024 * 1024 + 3])('/bytes/%i sends that many pattern bytes with content-length', async (n) => {
    const r = await curl(`${base}/bytes/${n}`, args);
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toEqual([String(n)]);
    expect(r.body.length).toBe(n);
    expect(isPattern(r.body)).toBe(true);
  });

  it('/delay/MS answers no sooner than MS, echoing the body', async () => {
    const started = performance.now();
    const r = await curl(`${base}/delay/300`, args, Buffer.from('late'));
    const elapsedMs = performance.now() - started;
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('late');
    expect(elapsedMs).toBeGreaterThanOrEqual(300);
  });

  it('/delay/0 without a body answers 200 and nothing', async () => {
    const r = await curl(`${base}/delay/0`, args);
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(0);
  });

  it('/status/CODE answers with that status and a short text body', async () => {
    const teapot = await curl(`${base}/status/418`, args);
    expect(teapot.status).toBe(418);
    expect(teapot.body.toString()).toBe('status 418\n');
    const unavailable = await curl(`${base}/status/503`, args);
    expect(unavailable.status).toBe(503);
    expect(unavailable.body.toString()).toBe('status 503\n');
    for (const code of [204, 304]) {
      const empty = await curl(`${base}/status/${code}`, args);
      expect(empty.status).toBe(code);
      expect(empty.body.length).toBe(0);
    }
  });

  it('answers an unknown path with 404 naming it', async () => {
    const r = await curl(`${base}/no/such/thing?x=1`, args);
    expect(r.status).toBe(404);
    expect(r.body.toString()).toMatch(/^not found: \/no\/such\/thing /);
  });

  it.each([
    ['/bytes/abc', /bad byte count 'abc' in \/bytes\/abc: must be an integer from 0 to 67108864/],
    ['/bytes/-1', /bad byte count '-1'/],
    ['/bytes/67108865', /bad byte count '67108865'/],
    ['/bytes/', /bad byte count ''/],
    ['/delay/60001', /bad delay '60001' in \/delay\/60001: must be an integer number of ms from 0 to 60000/],
    ['/delay/1.5', /bad delay '1.5'/],
    ['/status/600', /bad status '600' in \/status\/600: must be an integer from 100 to 599/],
    ['/status/99', /bad status '99'/],
    ['/status/teapot', /bad status 'teapot'/],
    ['/status/103', /status 103 in \/status\/103 is informational/],
  ])('answers %s with 400 saying what was wrong', async (path, message) => {
    const r = await curl(`${base}${path}`, args);
    expect(r.status).toBe(400);
    expect(r.body.toString()).toMatch(message);
  });
});

describe('HTTP origin /echo streams instead of buffering', () => {
  it('over HTTP/1.1: the first bytes come back before the request body ends', async () => {
    const url = new URL(`${base}/echo`);
    const req = h1request({ host: url.hostname, port: url.port, method: 'POST', path: '/echo' });
    req.write('first,');
    const res = await new Promise<import('node:http').IncomingMessage>((resolve) => req.on('response', resolve));
    const first = await new Promise<Buffer>((resolve) => res.once('data', resolve));
    expect(first.toString()).toBe('first,');
    const rest: Buffer[] = [];
    res.on('data', (c: Buffer) => rest.push(c));
    req.end('second');
    await new Promise((resolve) => res.on('end', resolve));
    expect(Buffer.concat(rest).toString()).toBe('second');
  });

  it('over h2c: the first bytes come back before the request stream ends', async () => {
    const session = h2connect(base);
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/echo' });
      stream.write('first,');
      const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
      expect(first.toString()).toBe('first,');
      const rest: Buffer[] = [];
      stream.on('data', (c: Buffer) => rest.push(c));
      stream.end('second');
      await new Promise((resolve) => stream.on('end', resolve));
      expect(Buffer.concat(rest).toString()).toBe('second');
    } finally {
      session.close();
    }
  });
});

describe('HTTP origin: a client that goes away mid-/delay', () => {
  const DELAY_MS = 4321; // unusual, so its timer is easy to pick out

  afterEach(() => {
    vi.restoreAllMocks();
  });

  /**
   * Watches setTimeout/clearTimeout for the /delay timer. `cleared` resolves when it is cleared and rejects
   * if it fires instead — so a leaked timer fails the test when the delay runs out, not at the test timeout.
   */
  function watchDelayTimer(): { armed: Promise<void>; cleared: Promise<void> } {
    let timer: unknown;
    let onArmed!: () => void;
    let onCleared!: () => void;
    let onFired!: (err: Error) => void;
    const armed = new Promise<void>((resolve) => (onArmed = resolve));
    const cleared = new Promise<void>((resolve, reject) => {
      onCleared = resolve;
      onFired = reject;
    });
    const realSet = globalThis.setTimeout as (fn: () => void, ms?: number, ...args: unknown[]) => NodeJS.Timeout;
    const realClear = globalThis.clearTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number, ...rest: unknown[]) => {
      if (ms !== DELAY_MS) return realSet(fn, ms, ...rest);
      const t = realSet(() => {
        onFired(new Error(`the /delay/${DELAY_MS} timer fired although its client had gone away`));
        fn();
      }, ms);
      timer = t;
      onArmed();
      return t;
    }) as typeof setTimeout);
    vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((t?: Parameters<typeof clearTimeout>[0]) => {
      if (t !== undefined && t === timer) onCleared();
      realClear(t);
    }) as typeof clearTimeout);
    return { armed, cleared };
  }

  it('over HTTP/1.1 (connection closed): the timer is cleared and the next request works', async () => {
    const watch = watchDelayTimer();
    const url = new URL(base);
    const socket = netConnect(Number(url.port), url.hostname);
    socket.on('error', () => {});
    socket.write(`GET /delay/${DELAY_MS} HTTP/1.1\r\nhost: origin\r\n\r\n`);
    await watch.armed;
    socket.destroy();
    await watch.cleared;
    const r = await curl(`${base}/bytes/10`);
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(10);
    expect(isPattern(r.body)).toBe(true);
  });

  it('over h2c (stream cancelled): the timer is cleared and the same connection still works', async () => {
    const watch = watchDelayTimer();
    const session = h2connect(base);
    try {
      const waiting = session.request({ ':method': 'POST', ':path': `/delay/${DELAY_MS}` });
      waiting.on('error', () => {});
      waiting.end('never answered');
      await watch.armed;
      waiting.close(h2constants.NGHTTP2_CANCEL);
      await watch.cleared;
      const next = session.request({ ':path': '/bytes/10' });
      const parts: Buffer[] = [];
      next.on('data', (c: Buffer) => parts.push(c));
      const status = await new Promise<number>((resolve) => next.on('response', (h) => resolve(Number(h[':status']))));
      await new Promise((resolve) => next.on('end', resolve));
      expect(status).toBe(200);
      expect(isPattern(Buffer.concat(parts))).toBe(true);
      expect(Buffer.concat(parts).length).toBe(10);
    } finally {
      session.close();
    }
  });
});
