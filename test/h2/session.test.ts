/**
 * The raw-frame HTTP/2 session against peers nobody here wrote: as a server under curl, h2load and
 * node:http2 clients; as a client against node:http2 and nghttpd servers. Bodies larger than every
 * window (flow control both ways), trailers, resets, GOAWAY, a slow reader, malformed input.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import {
  connect as h2connect,
  constants as h2c,
  createServer as createH2Server,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import { type AddressInfo, connect as netConnect, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/h2/frames.ts';
import { H2Session, type H2Stream, type HeaderFields, type SessionOptions, StreamError } from '../../src/h2/session.ts';
import { startNghttpd } from '../../src/load/h2/nghttpd.ts';
import { curl } from '../helpers/curl.ts';
import { h2load } from '../helpers/tunnel-interop.ts';

function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

/** A net server whose connections are raw server sessions. */
async function rawServer(options: Omit<SessionOptions, 'role'>): Promise<{ url: string; port: number; sessions: H2Session[]; server: Server }> {
  const sessions: H2Session[] = [];
  const server = createNetServer((socket) => sessions.push(new H2Session(socket, { role: 'server', ...options })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, sessions, server };
}

/** A raw client session to 127.0.0.1:port, resolved once the server's SETTINGS arrived. */
function rawClient(port: number, options: Omit<SessionOptions, 'role'> = {}): Promise<H2Session> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    const session: H2Session = new H2Session(socket, {
      role: 'client',
      ...options,
      onRemoteSettings: () => resolve(session),
      onClose: (reason) => reject(reason ?? new Error('closed')),
    });
  });
}

function get(session: H2Session, path: string, headers: HeaderFields = {}, method = 'GET', endStream = true): H2Stream {
  return session.request(
    [
      [':method', method],
      [':scheme', 'http'],
      [':path', path],
      [':authority', 'test'],
    ],
    headers,
    { endStream },
  );
}

function response(stream: H2Stream): Promise<{ headers: HeaderFields; endStream: boolean }> {
  return new Promise((resolve, reject) => {
    stream.once('response', (headers: HeaderFields, endStream: boolean) => resolve({ headers, endStream }));
    stream.once('error', reject);
  });
}

/** The echo the server-role tests use: status 200, x-method, the request body back, trailers when asked. */
function echoHandler(stream: H2Stream, headers: HeaderFields): void {
  stream.on('error', () => {});
  if (headers[':path'] === '/reset') {
    stream.close(ErrorCode.REFUSED_STREAM);
    return;
  }
  stream.respond(200, { 'x-method': String(headers[':method']), 'x-path': String(headers[':path']) });
  if (headers[':path'] === '/trailers') {
    stream.resume();
    stream.on('end', () => stream.endWithTrailers({ 'grpc-status': '0', 'x-trailer': 'yes' }));
    return;
  }
  stream.pipe(stream);
}

describe('raw session as a server', () => {
  let srv: Awaited<ReturnType<typeof rawServer>>;
  beforeAll(async () => {
    srv = await rawServer({ maxConcurrentStreams: 100, enableConnectProtocol: true, onStream: echoHandler });
  });
  afterAll(() => {
    srv.server.close();
    for (const s of srv.sessions) s.destroy();
  });

  it('answers curl (h2c prior knowledge): a GET, and a 3 MiB POST echoed byte for byte', async () => {
    const got = await curl(`${srv.url}/hello?x=1`, ['--http2-prior-knowledge']);
    expect(got.status).toBe(200);
    expect(got.headers['x-path']).toEqual(['/hello?x=1']);
    const body = randomBytes(3 * 1024 * 1024);
    const posted = await curl(`${srv.url}/echo`, ['--http2-prior-knowledge', '-H', 'content-type: application/octet-stream'], body);
    expect(posted.status).toBe(200);
    expect(posted.headers['x-method']).toEqual(['POST']);
    expect(posted.body.equals(body)).toBe(true);
  });

  it('serves h2load: 5,000 requests over 10 connections × 100 streams, all succeed', async () => {
    const r = await h2load(`${srv.url}/x`, ['-n', '5000', '-c', '10', '-m', '100']);
    expect(r.succeeded).toBe(5000);
    expect(r.failed + r.errored).toBe(0);
  });

  it('carries trailers, extended CONNECT and client resets with node:http2 as the client', async () => {
    const client = h2connect(srv.url);
    try {
      const t = client.request({ ':method': 'POST', ':path': '/trailers' });
      const trailers = new Promise<IncomingHttpHeaders>((resolve) => t.once('trailers', resolve));
      t.end('ignored');
      t.resume();
      expect((await trailers)['x-trailer']).toBe('yes');

      expect(client.remoteSettings.enableConnectProtocol).toBe(true); // SETTINGS came before the reply above
      const ws = client.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':path': '/chat', ':scheme': 'http' });
      const head = await new Promise<IncomingHttpHeaders>((resolve) => ws.once('response', resolve));
      expect(head[':status']).toBe(200);
      ws.write('ping');
      const echoed = await new Promise<string>((resolve) => ws.once('data', (d: Buffer) => resolve(d.toString())));
      expect(echoed).toBe('ping');
      ws.close(h2c.NGHTTP2_CANCEL);

      const refused = client.request({ ':path': '/reset' });
      refused.on('error', () => {});
      refused.resume();
      const code = await new Promise<number>((resolve) => refused.once('close', () => resolve(refused.rstCode)));
      expect(code).toBe(h2c.NGHTTP2_REFUSED_STREAM);
    } finally {
      client.close();
    }
  });

  it('refuses a request without :method (RST_STREAM PROTOCOL_ERROR) and keeps the connection', async () => {
    const session = await rawClient(srv.port);
    try {
      const bad = session.request([[':path', '/x']], {}, { endStream: true });
      const err = await new Promise<Error>((resolve) => bad.once('error', resolve));
      expect(err).toBeInstanceOf(StreamError);
      expect((err as StreamError).errorCode).toBe(ErrorCode.PROTOCOL_ERROR);
      const ok = get(session, '/after');
      expect((await response(ok)).headers[':status']).toBe('200');
    } finally {
      session.destroy();
    }
  });

  it('ends a connection that does not start with the preface, and keeps serving others', async () => {
    const socket = netConnect({ host: '127.0.0.1', port: srv.port });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.resume();
    socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    await closed;
    expect((await curl(`${srv.url}/still`, ['--http2-prior-knowledge'])).status).toBe(200);
  });
});

describe('raw session as a server: limits', () => {
  let srv: Awaited<ReturnType<typeof rawServer>>;
  const held: H2Stream[] = [];
  beforeAll(async () => {
    // streams are held open (no reply) so the limit is reached
    srv = await rawServer({ maxConcurrentStreams: 2, onStream: (s) => held.push(s) });
  });
  afterAll(() => {
    srv.server.close();
    for (const s of srv.sessions) s.destroy();
  });

  it('advertises its stream limit and refuses streams beyond it with REFUSED_STREAM', async () => {
    const session = await rawClient(srv.port);
    try {
      expect(session.remoteMaxStreams).toBe(2);
      const a = get(session, '/a');
      const b = get(session, '/b');
      const c = get(session, '/c'); // the client session itself does not queue: that is the edge's job
      const err = await new Promise<Error>((resolve) => c.once('error', resolve));
      expect((err as StreamError).errorCode).toBe(ErrorCode.REFUSED_STREAM);
      for (const s of held.splice(0)) {
        s.respond(204, {}, { endStream: true });
      }
      const [ra, rb] = await Promise.all([response(a), response(b)]);
      expect(ra.headers[':status']).toBe('204');
      expect(rb.endStream).toBe(true);
    } finally {
      session.destroy();
    }
  });
});

describe('raw session as a server: memory bound', () => {
  it('refuses new streams with ENHANCE_YOUR_CALM while unread bodies exceed maxHeldBytes, and takes them again once read', async () => {
    const unread: H2Stream[] = [];
    const srv = await rawServer({
      streamWindowBytes: 1 << 20,
      sessionWindowBytes: 4 << 20,
      maxHeldBytes: 100_000,
      onStream: (s, headers) => {
        s.on('error', () => {});
        if (headers[':path'] === '/slow') return void unread.push(s); // never read until told
        s.respond(200, {}, { endStream: true });
      },
    });
    const session = await rawClient(srv.port);
    try {
      const upload = get(session, '/slow', {}, 'POST', false);
      upload.on('error', () => {});
      upload.write(Buffer.alloc(300_000, 1));
      await new Promise((r) => setTimeout(r, 100));
      const refused = get(session, '/next');
      const err = await new Promise<Error>((resolve) => refused.once('error', resolve));
      expect((err as StreamError).errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM);
      unread[0]!.resume();
      await new Promise((r) => setTimeout(r, 100));
      const again = get(session, '/next');
      expect((await response(again)).headers[':status']).toBe('200');
    } finally {
      session.destroy();
      srv.server.close();
    }
  });
});

describe('raw session as a client', () => {
  let server: Http2Server;
  let port: number;
  const big = randomBytes(2 * 1024 * 1024 + 17);
  beforeAll(async () => {
    server = createH2Server({ settings: { maxConcurrentStreams: 7 } });
    server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      stream.on('error', () => {});
      const path = headers[':path'];
      if (path === '/big') {
        stream.respond({ ':status': 200 });
        stream.end(big);
      } else if (path === '/echo') {
        stream.respond({ ':status': 201, 'x-len': String(headers['content-length'] ?? '') });
        stream.pipe(stream);
      } else if (path === '/grpc') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '5', 'grpc-message': 'not found' }));
        stream.end(Buffer.from([0, 0, 0, 0, 0]));
      } else if (path === '/rst') {
        stream.close(h2c.NGHTTP2_ENHANCE_YOUR_CALM);
      } else if (path === '/goaway') {
        stream.respond({ ':status': 200 });
        stream.end('bye');
        stream.session!.goaway(h2c.NGHTTP2_NO_ERROR, 0);
      } else {
        stream.respond({ ':status': 200, 'set-cookie': ['a=1', 'b=2'] });
        stream.end('ok');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  it('reads the server SETTINGS, repeated headers and a 2 MiB body larger than every window', async () => {
    const session = await rawClient(port);
    try {
      expect(session.remoteMaxStreams).toBe(7);
      const plain = get(session, '/');
      const head = await response(plain);
      expect(head.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect((await collect(plain)).toString()).toBe('ok');
      const s = get(session, '/big');
      await response(s);
      expect((await collect(s)).equals(big)).toBe(true);
    } finally {
      session.destroy();
    }
  });

  it('sends a 2 MiB body under the server windows and reads it back', async () => {
    const session = await rawClient(port, { streamWindowBytes: 1 << 20, sessionWindowBytes: 4 << 20 });
    try {
      const s = get(session, '/echo', { 'content-length': String(big.length) }, 'POST', false);
      s.end(big);
      const head = await response(s);
      expect(head.headers[':status']).toBe('201');
      expect(head.headers['x-len']).toBe(String(big.length));
      expect((await collect(s)).equals(big)).toBe(true);
    } finally {
      session.destroy();
    }
  });

  it('holds back window for a reader that does not read, and loses nothing once it does', async () => {
    const session = await rawClient(port);
    try {
      const s = get(session, '/big');
      await response(s);
      await new Promise((r) => setTimeout(r, 200));
      // unread: at most the stream window (65,535) sits here, not the 2 MiB the server wants to send
      expect(s.readableLength).toBeLessThanOrEqual(65_535);
      expect((await collect(s)).equals(big)).toBe(true);
    } finally {
      session.destroy();
    }
  });

  it('delivers trailers (gRPC status), a server reset with its code, and GOAWAY', async () => {
    const session = await rawClient(port);
    try {
      const g = get(session, '/grpc', { te: 'trailers', 'content-type': 'application/grpc' }, 'POST', false);
      g.end(Buffer.from([0, 0, 0, 0, 0]));
      const trailers = new Promise<HeaderFields>((resolve) => g.once('trailers', resolve));
      await response(g);
      g.resume();
      expect(await trailers).toMatchObject({ 'grpc-status': '5', 'grpc-message': 'not found' });

      const r = get(session, '/rst');
      const err = await new Promise<Error>((resolve) => r.once('error', resolve));
      expect((err as StreamError).errorCode).toBe(ErrorCode.ENHANCE_YOUR_CALM);

      const bye = get(session, '/goaway');
      await response(bye);
      expect((await collect(bye)).toString()).toBe('bye');
      await new Promise((r2) => setTimeout(r2, 50));
      expect(session.usable).toBe(false);
    } finally {
      session.destroy();
    }
  });
});

describe('raw session as a client against nghttpd', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fetches a file over many concurrent streams with the bytes intact', async () => {
    dir = mkdtempSync(join(tmpdir(), 'muxbench-nghttpd-'));
    const file = randomBytes(300_000);
    writeFileSync(join(dir, 'f.bin'), file);
    const nghttpd = await startNghttpd({ htdocs: dir });
    try {
      const session = await rawClient(Number(new URL(nghttpd.url).port));
      try {
        const bodies = await Promise.all(
          Array.from({ length: 50 }, async () => {
            const s = get(session, '/f.bin');
            const head = await response(s);
            expect(head.headers[':status']).toBe('200');
            return collect(s);
          }),
        );
        for (const b of bodies) expect(b.equals(file)).toBe(true);
      } finally {
        session.destroy();
      }
    } finally {
      await nghttpd.stop();
    }
  });
});

describe('raw sessions with each other', () => {
  it('a client that loses its connection fails its open streams with a clear error', async () => {
    let serverSocket: Socket | undefined;
    const srv = await rawServer({ onStream: (s) => s.on('error', () => {}) });
    srv.server.on('connection', (s) => (serverSocket = s));
    try {
      const session = await rawClient(srv.port);
      const s = get(session, '/never');
      const failed = new Promise<Error>((resolve) => s.once('error', resolve));
      await new Promise((r) => setTimeout(r, 20));
      serverSocket!.destroy();
      expect((await failed).message).toMatch(/connection closed/);
      expect(session.closed).toBe(true);
    } finally {
      srv.server.close();
    }
  });
});
