/**
 * The h2 engine against real node:http2 servers on port 0: replies judged right and wrong, flow control
 * both ways, a server's stream limit (queued, never refused), resets, GOAWAY, hang-ups and timeouts.
 */
import { connect as h2connect, constants, createServer, type Http2Server, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type H2RequesterOptions, h2Requester } from '../../../src/load/h2/requester.ts';
import { runPaced } from '../../../src/load/pacing.ts';
import type { Requester } from '../../../src/load/types.ts';
import { isPattern, patternBytes } from '../../../src/wire/payload.ts';

interface TestServer {
  url: string;
  stats: { sessions: number; streams: number; active: number; maxActive: number; lastHeaders: Record<string, unknown> | null };
  /** destroys every client connection's socket, without GOAWAY */
  dropConnections(): void;
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const requesters: Requester[] = [];
afterEach(async () => {
  await Promise.all(requesters.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/**
 * Routes: /bytes/N (pattern), /echo (body back), /status/N, /delay/MS, /reset, /refuse, /hangup, /never (no
 * answer), /bigheaders/N (two N-octet response headers), /ping (answers after a PING round trip), /goaway (a session's first stream is answered after 100 ms; its second gets GOAWAY naming the
 * first as the last processed).
 */
async function startServer(settings: { maxConcurrentStreams?: number; initialWindowSize?: number } = {}): Promise<TestServer> {
  const server: Http2Server = createServer({ settings });
  const stats: TestServer['stats'] = { sessions: 0, streams: 0, active: 0, maxActive: 0, lastHeaders: null };
  const sessions = new Set<Http2Session>();
  const streamsBySession = new WeakMap<Http2Session, number>();
  // node:http2 forbids touching a session's socket; the raw sockets are the way to hang up without GOAWAY
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const dropConnections = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  server.on('session', (s) => {
    stats.sessions++;
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => {});
  });
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    stats.streams++;
    stats.active++;
    stats.maxActive = Math.max(stats.maxActive, stats.active);
    stats.lastHeaders = headers;
    stream.on('close', () => stats.active--);
    stream.on('error', () => {});
    const path = String(headers[':path']);
    const [, route, arg] = /^\/([a-z]+)(?:\/(\d+))?$/.exec(path) ?? [];
    const reply = (status: number, body: Uint8Array): void => {
      if (stream.destroyed) return;
      stream.respond({ ':status': status, 'content-type': 'application/octet-stream' });
      stream.end(body);
    };
    const readAll = (then: (body: Buffer) => void): void => {
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => then(Buffer.concat(parts)));
    };
    switch (route) {
      case 'bytes':
        return reply(200, patternBytes(Number(arg)));
      case 'echo':
        return readAll((body) => reply(200, body));
      case 'status':
        return reply(Number(arg), Buffer.from('status'));
      case 'delay':
        return readAll(() => setTimeout(() => reply(200, Buffer.from('late')), Number(arg)));
      case 'reset':
        return stream.close(constants.NGHTTP2_INTERNAL_ERROR);
      case 'refuse':
        return stream.close(constants.NGHTTP2_REFUSED_STREAM);
      case 'hangup':
        return dropConnections();
      case 'goaway': {
        const session = stream.session!;
        const nth = (streamsBySession.get(session) ?? 0) + 1;
        streamsBySession.set(session, nth);
        if (nth === 1) return void setTimeout(() => reply(200, Buffer.from('first')), 100);
        return session.goaway(constants.NGHTTP2_NO_ERROR, 1);
      }
      case 'never':
        return;
      case 'bigheaders': // a header block far above 16 KiB: nghttp2 sends HEADERS + CONTINUATION frames
        stream.respond({ ':status': 200, 'x-big': 'v'.repeat(Number(arg)), 'x-other': 'w'.repeat(Number(arg)) });
        return void stream.end('ok');
      case 'ping': // the server pings first: the reply only comes once the client has answered
        return void stream.session!.ping((err) => reply(err ? 500 : 200, Buffer.from('pong')));
      default:
        return reply(404, Buffer.from('not found'));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const s: TestServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats,
    dropConnections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
  servers.push(s);
  return s;
}

function engine(options: Omit<H2RequesterOptions, 'url'> & { url: string }): Requester {
  const r = h2Requester(options);
  requesters.push(r);
  return r;
}

function sendOne(r: Requester): Promise<{ kind: string | null; bytesIn: number }> {
  return new Promise((resolve) => r.send((kind, bytesIn) => resolve({ kind, bytesIn })));
}

/** Sends `n` at once; resolves with every outcome, and fails the test if any `done` is called twice. */
function sendMany(r: Requester, n: number): Promise<(string | null)[]> {
  return new Promise((resolve, reject) => {
    const kinds: (string | null)[] = new Array(n);
    const seen = new Set<number>();
    let left = n;
    for (let i = 0; i < n; i++) {
      r.send((kind) => {
        if (seen.has(i)) return reject(new Error(`done called twice for send ${i}`));
        seen.add(i);
        kinds[i] = kind;
        if (--left === 0) resolve(kinds);
      });
    }
  });
}

describe('h2 engine against node:http2', () => {
  it.each([0, 10, 1000, 200 * 1024])('GET /bytes/%i passes a pattern body check and counts the bytes', async (n) => {
    const s = await startServer();
    const r = engine({ url: s.url, method: 'GET', path: `/bytes/${n}`, expect: { status: 200, body: { patternLength: n } } });
    expect(await sendOne(r)).toEqual({ kind: null, bytesIn: n });
  });

  it.each([0, 10, 200 * 1024])(
    'POST /echo with a %i-byte body returns it byte for byte (bodies beyond the 64 KiB window wait for WINDOW_UPDATE)',
    async (n) => {
      const s = await startServer();
      const body = Buffer.from(patternBytes(n));
      const r = engine({ url: s.url, method: 'POST', path: '/echo', body, expect: { status: 200, body: { exact: body } } });
      const results = await sendMany(r, 8);
      expect(results).toEqual(new Array(8).fill(null));
    },
  );

  it('sends a large body under a tiny peer window (stream and connection windows both respected)', async () => {
    const s = await startServer({ initialWindowSize: 1000 });
    const body = Buffer.from(patternBytes(100_000));
    const r = engine({ url: s.url, method: 'POST', path: '/echo', body, expect: { status: 200, body: { exact: body } } });
    expect(await sendMany(r, 4)).toEqual([null, null, null, null]);
  });

  it('receives a large response with a small advertised window without stalling (WINDOW_UPDATEs sent)', async () => {
    const s = await startServer();
    const r = engine({
      url: s.url,
      method: 'GET',
      path: '/bytes/300000',
      windowBytes: 4096,
      timeoutMs: 5000,
      expect: { status: 200, body: { patternLength: 300_000 } },
    });
    expect(await sendMany(r, 3)).toEqual([null, null, null]);
  });

  it('sends the method, path, authority, custom headers and content-length', async () => {
    const s = await startServer();
    const body = Buffer.from('0123456789');
    const r = engine({
      url: s.url,
      method: 'post',
      path: '/echo',
      headers: { 'X-Test': 'yes', 'content-type': 'text/plain' },
      body,
      expect: { status: 200 },
    });
    expect((await sendOne(r)).kind).toBeNull();
    expect(s.stats.lastHeaders).toMatchObject({
      ':method': 'POST',
      ':path': '/echo',
      ':scheme': 'http',
      ':authority': new URL(s.url).host,
      'x-test': 'yes',
      'content-type': 'text/plain',
      'content-length': '10',
    });
  });

  it('a body that differs gives wrong-body; an unexpected status gives status-NNN', async () => {
    const s = await startServer();
    const wrong = engine({ url: s.url, method: 'GET', path: '/bytes/10', expect: { status: 200, body: { exact: Buffer.from('0123456789') } } });
    expect(await sendOne(wrong)).toEqual({ kind: 'wrong-body', bytesIn: 10 });
    const status = engine({ url: s.url, method: 'GET', path: '/status/503', expect: { status: 200 } });
    expect(await sendOne(status)).toEqual({ kind: 'status-503', bytesIn: 6 });
    const notFound = engine({ url: s.url, method: 'GET', path: '/nowhere', expect: { status: 200 } });
    expect((await sendOne(notFound)).kind).toBe('status-404');
  });

  it('a stream the server resets gives reset; REFUSED_STREAM gives refused; the connection stays usable', async () => {
    const s = await startServer();
    const reset = engine({ url: s.url, method: 'GET', path: '/reset', expect: { status: 200 } });
    expect(await sendMany(reset, 5)).toEqual(new Array(5).fill('reset'));
    expect((await sendOne(reset)).kind).toBe('reset');
    const refuse = engine({ url: s.url, method: 'GET', path: '/refuse', expect: { status: 200 } });
    expect((await sendOne(refuse)).kind).toBe('refused');
    expect(s.stats.sessions).toBe(2);
  });

  it('a server limit of 5 concurrent streams with 50 concurrent sends: all succeed, queued, never refused', async () => {
    const s = await startServer({ maxConcurrentStreams: 5 });
    const r = engine({ url: s.url, method: 'GET', path: '/delay/10', expect: { status: 200, body: { exact: Buffer.from('late') } } });
    expect(await sendMany(r, 50)).toEqual(new Array(50).fill(null));
    expect(s.stats.maxActive).toBeLessThanOrEqual(5);
    expect(s.stats.sessions).toBe(1);
  });

  it('more concurrent sends than streams × connections all complete, over every connection', async () => {
    const s = await startServer();
    const r = engine({ url: s.url, connections: 3, streamsPerConnection: 4, method: 'GET', path: '/delay/5', expect: { status: 200 } });
    expect(await sendMany(r, 200)).toEqual(new Array(200).fill(null));
    expect(s.stats.maxActive).toBeLessThanOrEqual(12);
    expect(s.stats.maxActive).toBeGreaterThan(4);
    expect(s.stats.sessions).toBe(3);
  });

  it('a server that closes the connection mid-request gives connection; the next sends succeed on a new connection', async () => {
    const s = await startServer();
    const hang = engine({ url: s.url, method: 'GET', path: '/hangup', expect: { status: 200 } });
    expect((await sendOne(hang)).kind).toBe('connection');
    expect((await sendOne(hang)).kind).toBe('connection');
    expect(s.stats.sessions).toBe(2);

    // In-flight requests on the dying connection fail with it; later ones reconnect.
    const r = engine({ url: s.url, method: 'POST', path: '/echo', body: Buffer.from('x'), expect: { status: 200 } });
    const before = s.stats.sessions;
    expect((await sendOne(r)).kind).toBeNull();
    const hangups = engine({ url: s.url, method: 'GET', path: '/delay/200', expect: { status: 200 } });
    const inflight = sendMany(hangups, 5);
    await new Promise((res) => setTimeout(res, 50));
    s.dropConnections();
    expect(await inflight).toEqual(new Array(5).fill('connection'));
    expect(await sendMany(hangups, 3)).toEqual([null, null, null]);
    expect(s.stats.sessions).toBeGreaterThan(before + 1);
  });

  it('GOAWAY: streams above the last processed id fail with goaway, the rest finish, later sends use a new connection', async () => {
    const s = await startServer();
    const r = engine({ url: s.url, method: 'GET', path: '/goaway', expect: { status: 200, body: { exact: Buffer.from('first') } } });
    const first = sendOne(r); // stream 1: answered after 100 ms
    await new Promise((res) => setTimeout(res, 20));
    expect((await sendOne(r)).kind).toBe('goaway'); // stream 3: above the last processed id (1)
    expect(await first).toEqual({ kind: null, bytesIn: 5 });
    expect(s.stats.sessions).toBe(1);
    expect((await sendOne(r)).kind).toBeNull(); // first stream of a new connection
    expect(s.stats.sessions).toBe(2);
  });

  it('reads a response header block split over HEADERS + CONTINUATION frames', async () => {
    const s = await startServer();
    const r = engine({ url: s.url, method: 'GET', path: '/bigheaders/30000', expect: { status: 200, body: { exact: Buffer.from('ok') } } });
    expect(await sendMany(r, 3)).toEqual([null, null, null]);
  });

  it("answers the server's PING", async () => {
    const s = await startServer();
    const r = engine({ url: s.url, method: 'GET', path: '/ping', timeoutMs: 3000, expect: { status: 200, body: { exact: Buffer.from('pong') } } });
    expect(await sendOne(r)).toEqual({ kind: null, bytesIn: 4 });
  });

  it('a request with no answer times out with timeout; the connection serves the next one', async () => {
    const s = await startServer();
    const never = engine({ url: s.url, method: 'GET', path: '/never', timeoutMs: 150, expect: { status: 200 } });
    const t0 = performance.now();
    expect(await sendMany(never, 3)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(performance.now() - t0).toBeLessThan(2000);
    await new Promise((res) => setTimeout(res, 50));
    expect(s.stats.active).toBe(0); // RST_STREAM(CANCEL) reached the server
  });

  it('an unreachable server fails sends with connection instead of hanging', async () => {
    const s = await startServer();
    const url = s.url;
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    const r = engine({ url, method: 'GET', path: '/bytes/1', timeoutMs: 5000, expect: { status: 200 } });
    expect(await sendMany(r, 3)).toEqual(['connection', 'connection', 'connection']);
  });

  it('close() settles every outstanding send exactly once and later sends fail', async () => {
    const s = await startServer();
    const r = h2Requester({ url: s.url, method: 'GET', path: '/never', expect: { status: 200 } });
    const pending = sendMany(r, 150); // 100 open streams, 50 queued
    await new Promise((res) => setTimeout(res, 50));
    await r.close();
    expect(await pending).toEqual(new Array(150).fill('connection'));
    expect((await sendOne(r)).kind).toBe('connection');
  });

  it('drives a closed loop through runPaced with zero errors and every reply checked', async () => {
    const s = await startServer();
    const r = engine({ url: s.url, connections: 2, method: 'GET', path: '/bytes/64', expect: { status: 200, body: { patternLength: 64 } } });
    const result = await runPaced(r, { kind: 'closed', concurrency: 64 }, { warmupMs: 0, durationMs: 2000, maxRequests: 5000 });
    expect(result.errors).toEqual({});
    expect(result.requests).toBe(5000);
    expect(result.bytesIn).toBe(5000 * 64);
  });
});

// Sanity check that the test server itself is what the tests think, using node's own client.
describe('test server', () => {
  it('answers /bytes/N with N pattern bytes to node:http2', async () => {
    const s = await startServer();
    const client = h2connect(s.url);
    const body = await new Promise<Buffer>((resolve, reject) => {
      const req = client.request({ ':path': '/bytes/300' });
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => resolve(Buffer.concat(parts)));
      req.on('error', reject);
    });
    client.close();
    expect(body.length).toBe(300);
    expect(isPattern(body)).toBe(true);
  });
});
