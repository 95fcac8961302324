/**
 * Every engine checks every reply: against a server that answers correctly all requests succeed; against
 * one that flips a byte, every request is counted as an error — never as a success.
 */
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createH2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer as createNetServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { runAutocannon } from '../../src/load/autocannon.ts';
import { grpcRequester } from '../../src/load/grpc.ts';
import { h2Requester } from '../../src/load/h2/requester.ts';
import { httpGrpcRequester } from '../../src/load/http-grpc.ts';
import { http1Requester } from '../../src/load/http1.ts';
import { type PacedResult, runPaced } from '../../src/load/pacing.ts';
import { tcpRequester } from '../../src/load/tcp.ts';
import type { Requester } from '../../src/load/types.ts';
import { wsRequester } from '../../src/load/ws.ts';
import { defaultServerOptions } from '../../src/systems/http-grpc/config.ts';
import { FUNC } from '../../src/clients/http-grpc/builtins.ts';
import { BUILTINS } from '../../src/systems/http-grpc/functions.ts';
import { httpGrpcRequestHandler } from '../../src/systems/http-grpc/server.ts';
import { ECHO_SERVICE } from '../../src/clients/grpc-echo.ts';
import { patternBytes } from '../../src/wire/payload.ts';
import { closeServer, listen, trackConnections } from '../../src/systems/serve.ts';

const REQUESTS = 60;
const payload = patternBytes(300);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * A copy with one byte changed: what a buggy or hostile server might send. Byte 10 of the pattern is 0x0a,
 * ASCII, so even autocannon — which compares replies as UTF-8 text — can see it.
 */
function corrupt(bytes: Uint8Array): Buffer {
  const b = Buffer.from(bytes);
  if (b.length > 10) b[10] = b[10]! ^ 0x01;
  return b;
}

async function drive(r: Requester): Promise<PacedResult> {
  try {
    return await runPaced(r, { kind: 'closed', concurrency: 4 }, { warmupMs: 0, durationMs: 10_000, maxRequests: REQUESTS });
  } finally {
    await r.close();
  }
}

function expectAllOk(r: PacedResult): void {
  expect(r.errors).toEqual({});
  expect(r.requests).toBe(REQUESTS);
}

function expectAllWrong(r: PacedResult): void {
  expect(r.requests).toBe(0);
  expect(r.errors).toEqual({ 'wrong-body': REQUESTS });
}

type Handler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void;
const echoHandler =
  (bad: boolean): Handler =>
  (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(bad ? corrupt(body) : body);
    });
  };

async function httpServer(http2: boolean, bad: boolean): Promise<string> {
  const server = trackConnections(http2 ? createH2Server(echoHandler(bad)) : createHttp1Server(echoHandler(bad)));
  const port = await listen(server, '127.0.0.1', 0);
  cleanups.push(() => closeServer(server));
  return `http://127.0.0.1:${port}`;
}

const httpSpec = (url: string) => ({ url, method: 'POST', path: '/echo', body: payload, expect: { status: 200, body: { exact: payload } }, connections: 2 });

describe.each([false, true])('engines against correct and corrupting servers (corrupt=%s)', (bad) => {
  const check = bad ? expectAllWrong : expectAllOk;

  it('HTTP/1.1 (undici)', async () => {
    check(await drive(http1Requester(httpSpec(await httpServer(false, bad)))));
  });

  it('HTTP/1.1 (autocannon)', async () => {
    const r = await runAutocannon(httpSpec(await httpServer(false, bad)), { warmupMs: 0, durationMs: 10_000, maxRequests: REQUESTS });
    check(r);
  });

  it('HTTP/2 (raw-frame engine)', async () => {
    const spec = httpSpec(await httpServer(true, bad));
    check(await drive(h2Requester({ ...spec, connections: 1, streamsPerConnection: 4 })));
  });

  it('http_grpc', async () => {
    const functions = [...BUILTINS];
    if (bad) functions[FUNC.echo] = (args) => corrupt(args);
    const server = trackConnections(createHttp1Server(httpGrpcRequestHandler(defaultServerOptions('streaming'), { functions })));
    const port = await listen(server, '127.0.0.1', 0);
    cleanups.push(() => closeServer(server));
    check(
      await drive(httpGrpcRequester({ client: { url: `http://127.0.0.1:${port}`, streamRequests: true, maxCallsPerBatch: 0 }, funcId: FUNC.echo, payload })),
    );
  });

  it('gRPC (@grpc/grpc-js)', async () => {
    const server = new grpc.Server();
    server.addService(ECHO_SERVICE, {
      unary: (call: grpc.ServerUnaryCall<{ payload: Buffer }, unknown>, cb: grpc.sendUnaryData<unknown>) =>
        cb(null, { payload: bad ? corrupt(call.request.payload) : call.request.payload, index: 0 }),
      serverStream: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
      fail: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.INTERNAL }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    cleanups.push(() => void server.forceShutdown());
    check(await drive(grpcRequester({ url: `http://127.0.0.1:${port}`, payload, connections: 1 })));
  });

  it('WebSocket (ws)', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => ws.on('message', (data: Buffer) => ws.send(bad ? corrupt(data) : data)));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const c of wss.clients) c.terminate();
          wss.close(() => r());
        }),
    );
    const port = (wss.address() as { port: number }).port;
    check(await drive(wsRequester({ url: `ws://127.0.0.1:${port}`, payload, connections: 2 })));
  });

  it('TCP (node:net)', async () => {
    // A byte stream has no messages: corrupt every byte, so every request's bytes are wrong.
    const server = trackConnections(createNetServer((s) => s.on('data', (c: Buffer) => s.write(bad ? c.map((b) => b ^ 1) : c))));
    const port = await listen(server, '127.0.0.1', 0);
    cleanups.push(() => closeServer(server));
    check(await drive(tcpRequester({ url: `tcp://127.0.0.1:${port}`, payload, connections: 2 })));
  });
});

describe('engines report unexpected statuses by their code', () => {
  it('HTTP/1.1 counts a 503 as status-503', async () => {
    const server = trackConnections(createHttp1Server((_req, res) => res.writeHead(503).end('busy')));
    const port = await listen(server, '127.0.0.1', 0);
    cleanups.push(() => closeServer(server));
    const r = await drive(http1Requester({ ...httpSpec(`http://127.0.0.1:${port}`) }));
    expect(r.errors).toEqual({ 'status-503': REQUESTS });
  });
});
