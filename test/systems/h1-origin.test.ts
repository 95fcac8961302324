/**
 * The connector's HTTP/1.1 origin client against node:http and against hand-written servers on raw
 * sockets: keep-alive reuse, request bodies with and without a length, a large reply to a slow reader,
 * the keep-alive race (retried once), close-delimited and malformed replies, a refused connection, and
 * header values that would smuggle a second request.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { H1OriginPool } from '../../src/systems/tunnel/h1-origin.ts';
import type { ConnectorExchange, Headers, TunnelRequestHead } from '../../src/systems/tunnel/types.ts';

interface Outcome {
  status: number;
  headers: Headers;
  body: Buffer;
  failed: string | null;
}

/** An exchange as a connector would hand it over; `slowMs` delays every write callback (a slow reader). */
function exchange(head: Partial<TunnelRequestHead>, body: Buffer | null = null, slowMs = 0): { ex: ConnectorExchange; done: Promise<Outcome> } {
  const out: Outcome = { status: 0, headers: {}, body: Buffer.alloc(0), failed: null };
  const parts: Buffer[] = [];
  let settle!: (o: Outcome) => void;
  const done = new Promise<Outcome>((resolve) => (settle = resolve));
  const finish = (): void => {
    out.body = Buffer.concat(parts);
    settle(out);
  };
  const stream = new Duplex({
    highWaterMark: 16 * 1024,
    read() {},
    write(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      if (slowMs > 0) setTimeout(cb, slowMs);
      else cb();
    },
  });
  if (body !== null) stream.push(body);
  stream.push(null);
  let responded = false;
  const ex: ConnectorExchange = {
    head: { kind: 'http', method: 'GET', path: '/', authority: '', headers: {}, hasBody: body !== null, ...head },
    stream,
    get responded() {
      return responded;
    },
    respond(h, options = {}) {
      responded = true;
      out.status = h.status;
      out.headers = h.headers;
      if (options.endStream) finish();
    },
    finish() {
      stream.end(finish);
    },
    fail(status, message) {
      out.status = status;
      out.failed = message;
      finish();
    },
  };
  return { ex, done };
}

async function listen<S extends Server | HttpServer>(server: S): Promise<URL> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

describe('H1OriginPool against node:http', () => {
  async function origin(): Promise<{ url: URL; connections: () => number; pool: H1OriginPool }> {
    let connections = 0;
    const server = createHttpServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const body = Buffer.concat(parts);
        if (req.url?.startsWith('/bytes/')) {
          const n = Number(req.url.slice(7));
          res.writeHead(200, { 'content-length': n });
          res.end(Buffer.alloc(n, 7));
          return;
        }
        res.setHeader('x-method', req.method ?? '');
        res.setHeader('x-te', String(req.headers['transfer-encoding'] ?? ''));
        res.setHeader('x-host', String(req.headers.host ?? ''));
        res.end(body);
      });
    });
    server.on('connection', () => connections++);
    const url = await listen(server);
    const pool = new H1OriginPool(url);
    cleanup.push(() => {
      pool.close();
      server.closeAllConnections();
      server.close();
    });
    return { url, connections: () => connections, pool };
  }

  it('reuses one keep-alive connection for requests one after another', async () => {
    const o = await origin();
    for (let i = 0; i < 20; i++) {
      const { ex, done } = exchange({ path: `/n/${i}`, authority: 'tunnel.example' });
      o.pool.forward(ex);
      const r = await done;
      expect(r.failed).toBeNull();
      expect(r.headers['x-host']).toBe('tunnel.example');
    }
    expect(o.connections()).toBe(1);
  });

  it('opens a connection per concurrent request', async () => {
    const o = await origin();
    const all = Array.from({ length: 30 }, (_, i) => {
      const { ex, done } = exchange({ path: `/c/${i}` });
      o.pool.forward(ex);
      return done;
    });
    const results = await Promise.all(all);
    expect(results.every((r) => r.status === 200 && r.failed === null)).toBe(true);
    expect(o.connections()).toBe(30);
  });

  it('sends a body with its length as is, and one of unknown length chunked', async () => {
    const o = await origin();
    const body = randomBytes(200_000);
    const sized = exchange({ method: 'POST', path: '/echo', headers: { 'content-length': String(body.length) } }, body);
    o.pool.forward(sized.ex);
    const a = await sized.done;
    expect(a.headers['x-te']).toBe('');
    expect(a.body.equals(body)).toBe(true);

    const unsized = exchange({ method: 'POST', path: '/echo' }, body);
    o.pool.forward(unsized.ex);
    const b = await unsized.done;
    expect(b.headers['x-te']).toBe('chunked');
    expect(b.headers['x-method']).toBe('POST');
    expect(b.body.equals(body)).toBe(true);
  });

  it('delivers a 5 MiB reply byte-exact to a slow reader, then reuses the connection', async () => {
    const o = await origin();
    const slow = exchange({ path: `/bytes/${5 * 1024 * 1024}` }, null, 1);
    o.pool.forward(slow.ex);
    const r = await slow.done;
    expect(r.body.length).toBe(5 * 1024 * 1024);
    expect(r.body.every((b) => b === 7)).toBe(true);
    const next = exchange({ path: '/bytes/10' });
    o.pool.forward(next.ex);
    expect((await next.done).body.length).toBe(10);
    expect(o.connections()).toBe(1);
  });

  it('refuses header values and paths that would smuggle a second request, sending nothing', async () => {
    const o = await origin();
    const bad = exchange({ headers: { 'x-a': 'ok\r\nGET /evil HTTP/1.1' } });
    o.pool.forward(bad.ex);
    const r = await bad.done;
    expect(r.status).toBe(400);
    expect(r.failed).toMatch(/x-a/);
    const path = exchange({ path: '/a HTTP/1.1\r\nx: y' });
    o.pool.forward(path.ex);
    expect((await path.done).status).toBe(400);
    expect(o.connections()).toBe(0);
  });
});

describe('H1OriginPool against hand-written servers', () => {
  async function rawOrigin(onRequest: (socket: Socket, n: number) => void): Promise<{ pool: H1OriginPool; connections: () => number }> {
    let n = 0;
    const server = createNetServer((socket) => {
      n++;
      socket.on('error', () => {});
      let seen = '';
      socket.on('data', (c: Buffer) => {
        seen += c.toString('latin1');
        while (seen.includes('\r\n\r\n')) {
          seen = seen.slice(seen.indexOf('\r\n\r\n') + 4);
          onRequest(socket, n);
        }
      });
    });
    const url = await listen(server);
    const pool = new H1OriginPool(url);
    cleanup.push(() => {
      pool.close();
      server.close();
    });
    return { pool, connections: () => n };
  }

  it('retries once on a new connection when the origin closed the reused one first (keep-alive race)', async () => {
    // Every connection answers its first request and hangs up on the second without a byte of reply, as
    // an origin does whose idle timeout fired just as the request arrived.
    const seen = new WeakMap<Socket, number>();
    const o = await rawOrigin((socket) => {
      const k = (seen.get(socket) ?? 0) + 1;
      seen.set(socket, k);
      if (k === 1) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      else socket.destroy();
    });
    for (let i = 0; i < 3; i++) {
      const { ex, done } = exchange({});
      o.pool.forward(ex);
      const r = await done;
      expect(r.failed).toBeNull();
      expect(r.body.toString()).toBe('ok');
    }
    expect(o.connections()).toBe(3); // the first, then one new connection per retried request

    // A request with a body is not replayed: it fails with the reason instead.
    const post = exchange({ method: 'POST' }, Buffer.from('once'));
    o.pool.forward(post.ex);
    const r = await post.done;
    expect(r.status).toBe(502);
    expect(r.failed).toMatch(/origin http failed/);
  });

  it('reads a close-delimited reply, and fails a malformed one with the reason', async () => {
    const close = await rawOrigin((socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nall of it'));
    const a = exchange({});
    close.pool.forward(a.ex);
    expect((await a.done).body.toString()).toBe('all of it');

    const bad = await rawOrigin((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n'));
    const b = exchange({});
    bad.pool.forward(b.ex);
    const r = await b.done;
    expect(r.status).toBe(502);
    expect(r.failed).toMatch(/malformed response: bad content-length/);
  });

  it('fails a request whose origin is not listening with the connect error', async () => {
    const server = createNetServer();
    const url = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const pool = new H1OriginPool(url);
    const { ex, done } = exchange({});
    pool.forward(ex);
    const r = await done;
    expect(r.status).toBe(502);
    expect(r.failed).toMatch(/ECONNREFUSED/);
    pool.close();
  });
});
