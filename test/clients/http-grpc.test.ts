import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpGrpcClient, type HttpGrpcClientOptions } from '../../src/clients/http-grpc/client.ts';
import { defaultServerOptions, type ServerMode } from '../../src/systems/http-grpc/config.ts';
import {
  HttpGrpcCallError,
  type HttpGrpcError,
  HttpGrpcNoReplyError,
  HttpGrpcProtocolError,
  HttpGrpcStatusError,
  HttpGrpcTransportError,
} from '../../src/clients/http-grpc/errors.ts';
import { FUNC } from '../../src/clients/http-grpc/builtins.ts';
import { patternBytes } from '../../src/wire/payload.ts';
import { httpGrpcRequestHandler } from '../../src/systems/http-grpc/server.ts';
import { type HttpGrpcListenOptions, startHttpGrpcServer } from '../../src/systems/http-grpc/system.ts';
import { closeServer, listen, trackConnections } from '../../src/systems/serve.ts';
import { encodeResponseFrame, encodeVarint, RequestFrameDecoder } from '../../src/wire/index.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real server whose POSTs are counted, so batching can be observed from the outside. */
async function countedServer(mode: ServerMode, http2: boolean, extra: Partial<HttpGrpcListenOptions> = {}) {
  const s = await startHttpGrpcServer({ ...defaultServerOptions(mode), host: '127.0.0.1', port: 0, http2, ...extra });
  cleanups.push(() => s.close());
  return s.urls.http!;
}

async function countingHttp1Server(mode: ServerMode) {
  const handler = httpGrpcRequestHandler(defaultServerOptions(mode));
  const stats = { posts: 0 };
  const server = trackConnections(
    createServer((req, res) => {
      stats.posts++;
      handler(req, res);
    }),
  );
  const port = await listen(server, '127.0.0.1', 0);
  cleanups.push(() => closeServer(server));
  return { url: `http://127.0.0.1:${port}`, stats };
}

function client(options: HttpGrpcClientOptions): HttpGrpcClient {
  const c = new HttpGrpcClient(options);
  cleanups.push(() => c.destroy());
  return c;
}

const text = (s: string) => new TextEncoder().encode(s);

describe.each([
  ['http1', false],
  ['h2c', true],
] as const)('http_grpc client over %s', (transport, http2) => {
  it('returns replies and typed errors, each call settled once', async () => {
    const url = await countedServer('compat', http2);
    const c = client({ url, transport });
    const results = await Promise.allSettled([
      c.call(FUNC.echo, text('hi')),
      c.call(FUNC.sized, encodeVarint(1000)),
      c.call(FUNC.fail, text('broken on purpose')),
      c.call(FUNC.none, new Uint8Array()),
      c.call(12345, new Uint8Array()),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: expect.anything() });
    expect(Buffer.from((results[0] as PromiseFulfilledResult<Uint8Array>).value).toString()).toBe('hi');
    expect(Buffer.from((results[1] as PromiseFulfilledResult<Uint8Array>).value).equals(patternBytes(1000))).toBe(true);
    const fail = (results[2] as PromiseRejectedResult).reason as HttpGrpcCallError;
    expect(fail).toBeInstanceOf(HttpGrpcCallError);
    expect(fail.status).toBe(500);
    expect(fail.message).toMatch(/broken on purpose/);
    for (const r of results.slice(3)) {
      const err = (r as PromiseRejectedResult).reason as HttpGrpcNoReplyError;
      expect(err).toBeInstanceOf(HttpGrpcNoReplyError);
      expect(err.reason).toBe('no-reply-frame');
    }
    expect(c.pendingCalls).toBe(0);
  });

  it('streams calls over one long request to a streaming server', async () => {
    const url = await countedServer('streaming', http2);
    const c = client({ url, transport, streamRequests: true, maxCallsPerBatch: 0 });
    const total = 20_000;
    let done = 0;
    let settledTwice = 0;
    await new Promise<void>((resolve, reject) => {
      let issued = 0;
      const seen = new Set<number>();
      const next = (): void => {
        if (issued >= total) return;
        const i = issued++;
        const args = encodeVarint(i);
        c.send(FUNC.echo, args, (err, reply) => {
          if (seen.has(i)) settledTwice++;
          seen.add(i);
          if (err) return reject(err);
          if (Buffer.compare(reply!, args) !== 0) return reject(new Error(`call ${i}: wrong reply`));
          if (++done === total) resolve();
          else next();
        });
      };
      for (let k = 0; k < 256; k++) next();
    });
    expect(done).toBe(total);
    expect(settledTwice).toBe(0);
    await c.close();
  });

  it('reports a refused request as a status error on every call in it', async () => {
    const url = await countedServer('compat', http2);
    const c = client({ url, transport, maxCallsPerBatch: 0 });
    const calls = Array.from({ length: 65 }, (_, i) => c.call(FUNC.echo, encodeVarint(i)));
    const results = await Promise.allSettled(calls);
    for (const r of results) {
      const err = (r as PromiseRejectedResult).reason as HttpGrpcStatusError;
      expect(err).toBeInstanceOf(HttpGrpcStatusError);
      expect(err.status).toBe(400);
      expect(err.message).toMatch(/too many calls in one request/);
    }
  });

  it('fails calls with a transport error when nothing listens', async () => {
    const url = await countedServer('compat', http2);
    await cleanups.pop()!(); // close the server: the port is now refused
    const c = client({ url, transport });
    await expect(c.call(FUNC.echo, text('x'))).rejects.toBeInstanceOf(HttpGrpcTransportError);
  });
});

describe('http_grpc client batching (HTTP/1.1, POSTs counted at the server)', () => {
  it('never puts more than maxCallsPerBatch calls in one request (default 64 fits the crate)', async () => {
    const { url, stats } = await countingHttp1Server('compat');
    const c = client({ url });
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => c.call(FUNC.echo, encodeVarint(i))));
    expect(replies).toHaveLength(200);
    expect(stats.posts).toBe(4); // 64 + 64 + 64 + 8
  });

  it('window 0 sends the calls of one tick together', async () => {
    const { url, stats } = await countingHttp1Server('compat');
    const c = client({ url, batchWindowMs: 0 });
    await Promise.all([c.call(FUNC.echo, text('a')), c.call(FUNC.echo, text('b'))]);
    expect(stats.posts).toBe(1);
    await c.call(FUNC.echo, text('c'));
    expect(stats.posts).toBe(2);
  });

  it('a batch window gathers calls made across ticks', async () => {
    const { url, stats } = await countingHttp1Server('compat');
    const c = client({ url, batchWindowMs: 40 });
    const first = c.call(FUNC.echo, text('a'));
    await new Promise((r) => setTimeout(r, 5));
    const second = c.call(FUNC.echo, text('b'));
    await Promise.all([first, second]);
    expect(stats.posts).toBe(1);
  });
});

describe('http_grpc client against misbehaving servers', () => {
  async function rawServer(reply: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void) {
    const server = trackConnections(
      createServer((req, res) => {
        const parts: Buffer[] = [];
        req.on('data', (c: Buffer) => parts.push(c));
        req.on('end', () => reply(req, res, Buffer.concat(parts)));
      }),
    );
    const port = await listen(server, '127.0.0.1', 0);
    cleanups.push(() => closeServer(server));
    return `http://127.0.0.1:${port}`;
  }

  it('rejects calls left unanswered when the body ends with "response-ended"', async () => {
    const url = await rawServer((_req, res, body) => {
      const first = new RequestFrameDecoder().write(body)[0]!;
      res.end(encodeResponseFrame(first.callIdBytes, 0, text('only me')));
    });
    const c = client({ url });
    const [a, b] = await Promise.allSettled([c.call(FUNC.echo, text('1')), c.call(FUNC.echo, text('2'))]);
    expect(Buffer.from((a as PromiseFulfilledResult<Uint8Array>).value).toString()).toBe('only me');
    const err = (b as PromiseRejectedResult).reason as HttpGrpcNoReplyError;
    expect(err).toBeInstanceOf(HttpGrpcNoReplyError);
    expect(err.reason).toBe('response-ended');
  });

  it('treats a reply for a call it never made as a protocol error', async () => {
    const url = await rawServer((_req, res) => res.end(encodeResponseFrame(987654, 0, text('stranger'))));
    const c = client({ url });
    const err: HttpGrpcError = await c.call(FUNC.echo, text('1')).then(
      () => {
        throw new Error('should have failed');
      },
      (e: HttpGrpcError) => e,
    );
    expect(err).toBeInstanceOf(HttpGrpcProtocolError);
    expect(err.message).toMatch(/call 987654/);
  });

  it('treats a malformed reply stream as a protocol error', async () => {
    const url = await rawServer((_req, res) => res.end(Buffer.from('ffffffffff01', 'hex')));
    const c = client({ url });
    await expect(c.call(FUNC.echo, text('1'))).rejects.toBeInstanceOf(HttpGrpcProtocolError);
  });
});

describe('http_grpc client input checks', () => {
  it('refuses a func id outside u32 and non-bytes args', () => {
    const c = client({ url: 'http://127.0.0.1:9' });
    expect(() => c.send(-1, new Uint8Array(), () => {})).toThrow(/funcId must be a u32/);
    expect(() => c.send(1, 'text' as unknown as Uint8Array, () => {})).toThrow(/args must be a Uint8Array/);
    expect(() => new HttpGrpcClient({ url: 'https://example.com' })).toThrow(/only http:\/\//);
    expect(() => new HttpGrpcClient({ url: 'http://127.0.0.1:9', batchWindowMs: -1 })).toThrow(/batchWindowMs/);
  });
});
