/**
 * The raw link stack (the grpc tunnel's Connect call on muxbench's own HTTP/2 session) against peers that
 * cut messages anywhere, send too much, reset the call or talk nonsense: the call ends with a clear reason
 * and the edge serves on. Hand-made connectors dial with the raw stack and write the stream's bytes
 * themselves; real sockets on 127.0.0.1, port 0.
 */
import { createServer as createH2Server, connect as h2connect, type ServerHttp2Session } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/h2/errors.ts';
import { defaultWindows, type LinkStackName } from '../../../src/systems/grpc-tunnel/config.ts';
import { type GrpcConnector, startGrpcConnector } from '../../../src/systems/grpc-tunnel/connector.ts';
import { type GrpcTunnelBackend, startGrpcEdge, type GrpcEdgeOptions } from '../../../src/systems/grpc-tunnel/edge.ts';
import { helloFields } from '../../../src/systems/grpc-tunnel/handshake.ts';
import type { RequestChannel, TunnelLink } from '../../../src/systems/grpc-tunnel/link.ts';
import { CONNECT_PATH, decodeBatch, encodeFramed, type TunnelMessage } from '../../../src/systems/grpc-tunnel/protocol.ts';
import { RAW_STACK, type RawCall } from '../../../src/systems/grpc-tunnel/raw-stack.ts';
import { parseGrpcConnectorArgs } from '../../../src/systems/grpc-tunnel/system.ts';
import type { Running } from '../../../src/systems/serve.ts';
import { startOrigin } from '../../../src/systems/origin/system.ts';
import { frameGrpcMessage } from '../../../src/wire/index.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function startEdge(options: Partial<GrpcEdgeOptions> = {}): Promise<Running & { backend: GrpcTunnelBackend; lines: string[] }> {
  const lines: string[] = [];
  const edge = await startGrpcEdge({ host: '127.0.0.1', port: 0, tunnelPort: 0, tcpPort: 0, token: 'tok', log: (m) => lines.push(m), ...options });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await edge.close();
  };
  cleanups.push(close);
  return { ...edge, close, lines };
}

/** One gRPC message carrying these TunnelMessages as one TunnelBatch, as a connector puts it on the wire. */
function grpcMessage(...messages: TunnelMessage[]): Buffer {
  const parts = messages.map(encodeFramed);
  return frameGrpcMessage(
    parts,
    parts.reduce((n, p) => n + p.length, 0),
  );
}

/** What a connector answers to a head: a response, one chunk naming the path, the end. */
function replyTo(m: TunnelMessage & { payload: 'head' }): TunnelMessage[] {
  const requestId = m.requestId;
  return [
    { requestId, payload: 'response', response: { status: 200, headers: [{ name: 'content-type', value: 'text/plain' }] } },
    { requestId, payload: 'chunk', chunk: { data: Buffer.from(`reply to ${m.head.path}`) } },
    { requestId, payload: 'end', end: {} },
  ];
}

interface Hand {
  call: RawCall;
  closed: Promise<string>;
}

/**
 * A hand-made connector: a Connect call dialled with the raw stack; `onHead` gets every request head.
 * The test writes the call's HTTP/2 stream itself, so it decides how messages fall into DATA frames.
 */
async function dialHand(
  tunnelUrl: string,
  onHead: (m: TunnelMessage & { payload: 'head' }, call: RawCall) => void = () => {},
  linkStack: LinkStackName = 'raw',
): Promise<Hand> {
  const { call } = await RAW_STACK.dial({
    edge: new URL(tunnelUrl),
    hello: helloFields({ token: 'tok', connector: 'hand', index: 0, linkStack, maxMessageBytes: 1 << 20, maxInflightBytes: 1 << 20 }),
    windows: defaultWindows(),
    maxMessageBytes: 1 << 20,
    timeoutMs: 5000,
    signal: new AbortController().signal,
  });
  const raw = call as RawCall;
  cleanups.push(() => raw.close(0, 'test over'));
  const closed = new Promise<string>((resolve) =>
    raw.listen({
      message: (batch) => {
        for (const m of decodeBatch(batch)) if (m.payload === 'head') onHead(m, raw);
      },
      closed: resolve,
    }),
  );
  return { call: raw, closed };
}

describe('raw link stack: message framing', () => {
  it('takes several gRPC messages in one DATA frame, and messages cut across DATA frames of 1 to 3 bytes', async () => {
    const edge = await startEdge();
    let n = 0;
    await dialHand(edge.urls.tunnel!, (head, call) => {
      const messages = replyTo(head);
      if (n++ === 0) {
        // three gRPC messages (one TunnelMessage each) in one write: one DATA frame
        call.stream.write(Buffer.concat(messages.map((m) => grpcMessage(m))));
      } else {
        // one gRPC message of three TunnelMessages, every 1-3 bytes its own write, so its own DATA frame
        const wire = grpcMessage(...messages);
        for (let at = 0, step = 1; at < wire.length; at += step, step = (step % 3) + 1) call.stream.write(wire.subarray(at, at + step));
      }
    });
    await until('the edge registered the connector', () => edge.backend.connectionCount === 1);
    for (const path of ['/one', '/two']) {
      const r = await fetch(`${edge.urls.public}${path}`);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(`reply to ${path}`);
    }
    expect(edge.backend.inflight).toBe(0);
  });
});

describe('raw link stack: a hostile peer', () => {
  it('ends the call of a connector that sends a message over --max-message-bytes (RESOURCE_EXHAUSTED), and serves on', async () => {
    const edge = await startEdge({ maxMessageBytes: 64 * 1024 });
    const rogue = await dialHand(edge.urls.tunnel!);
    await until('the edge registered the rogue', () => edge.backend.connectionCount === 1);
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(64 * 1024 + 1, 1);
    rogue.call.stream.write(prefix);
    rogue.call.stream.write(Buffer.alloc(1000)); // a little of the announced message, never the rest
    const why = /the connector's message was refused: a gRPC message of 65537 bytes exceeds the limit of 65536 bytes \(--max-message-bytes\)/;
    expect(await rogue.closed).toMatch(new RegExp(`^the edge ended the call with grpc-status 8: ${why.source}$`));
    await until('the edge dropped the connection', () => edge.backend.connectionCount === 0);
    expect(edge.lines.join('\n')).toMatch(why);

    // the edge serves the next connector
    await dialHand(edge.urls.tunnel!, (head, call) => call.stream.write(grpcMessage(...replyTo(head))));
    await until('the next connector registered', () => edge.backend.connectionCount === 1);
    expect(await (await fetch(`${edge.urls.public}/after`)).text()).toBe('reply to /after');
  });

  it('ends the call of a connector that sends an undecodable batch (INTERNAL)', async () => {
    const edge = await startEdge();
    const rogue = await dialHand(edge.urls.tunnel!);
    await until('the edge registered the rogue', () => edge.backend.connectionCount === 1);
    rogue.call.stream.write(frameGrpcMessage([Buffer.from([0x0a, 0xff])], 2)); // field 1, its length cut off
    expect(await rogue.closed).toBe('the edge ended the call with grpc-status 13: the peer sent an undecodable batch');
    await until('the edge dropped the connection', () => edge.backend.connectionCount === 0);
  });

  it('answers a call to another path UNIMPLEMENTED and closes a connection that is not HTTP/2, and serves on', async () => {
    const edge = await startEdge();
    const session = h2connect(edge.urls.tunnel!);
    session.on('error', () => {});
    cleanups.push(() => session.destroy());
    const head = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = session.request({ ':method': 'POST', ':path': '/muxbench.tunnel.Tunnel/Other', 'content-type': 'application/grpc', te: 'trailers' });
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
    expect(head['grpc-status']).toBe('12');
    expect(String(head['grpc-message'])).toContain(CONNECT_PATH);

    const url = new URL(edge.urls.tunnel!);
    const junk = netConnect({ host: url.hostname, port: Number(url.port) });
    junk.on('error', () => {});
    junk.resume();
    junk.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    await new Promise((resolve) => junk.once('close', resolve));

    await dialHand(edge.urls.tunnel!, (h, call) => call.stream.write(grpcMessage(...replyTo(h))));
    await until('a connector registered', () => edge.backend.connectionCount === 1);
    expect(await (await fetch(`${edge.urls.public}/still`)).text()).toBe('reply to /still');
  });
});

describe('raw link stack: a connection that never calls Connect', () => {
  it('is closed after the handshake time (5 s), however well it speaks HTTP/2', async () => {
    const edge = await startEdge();
    const session = h2connect(edge.urls.tunnel!);
    session.on('error', () => {});
    cleanups.push(() => session.destroy());
    const t0 = Date.now();
    await new Promise((resolve) => session.once('close', resolve));
    expect(Date.now() - t0).toBeGreaterThan(4000);
  }, 10_000);
});

describe('raw link stack: a Connect call reset mid-flight', () => {
  it("fails the connector's in-flight requests with a clear error, and the edge serves again after the redial", async () => {
    const origin = await startOrigin({ host: '127.0.0.1', port: 0, grpcPort: 0, wsPort: 0, tcpPort: 0 });
    cleanups.push(() => origin.close());
    const edge = await startEdge();
    const lines: string[] = [];
    const args = ['--edge', edge.urls.tunnel!, '--token', 'tok', '--origin', JSON.stringify({ urls: origin.urls })];
    const started = await startGrpcConnector({ ...parseGrpcConnectorArgs(args), log: (m) => lines.push(m) });
    cleanups.push(() => started.close());
    const connector: GrpcConnector = started.connector;

    const inFlight = fetch(`${edge.urls.public}/delay/5000`, { method: 'POST', body: 'waiting' }).then(async (r) => ({
      status: r.status,
      body: await r.text(),
    }));
    await until('the request is open on both sides', () => edge.backend.inflight === 1 && connector.inflight === 1);
    const connectorLink = [...(connector as unknown as { links: Set<TunnelLink> }).links][0]!;
    const request = [...connectorLink.channels.values()][0] as RequestChannel;
    const requestError = new Promise<Error>((resolve) => request.once('error', resolve));

    // RST_STREAM on the Connect call, from the edge's side
    const edgeLink = (edge.backend as unknown as { links: TunnelLink[] }).links[0]!;
    (edgeLink.call as RawCall).stream.close(ErrorCode.CANCEL);

    expect((await requestError).message).toBe('the tunnel connection connection 0 was lost (the call failed: the peer reset the stream (code 8))');
    const lost = await inFlight;
    expect(lost.status).toBe(502);
    expect(lost.body).toMatch(/the tunnel connection connector \w+#0 was lost \(the call closed\)/);
    expect(connector.inflight).toBe(0);

    await until('the connector re-registered', () => edge.backend.connectionCount === 1 && lines.some((l) => /connection 0 re-registered/.test(l)));
    const back = await fetch(`${edge.urls.public}/echo`, { method: 'POST', body: 'back again' });
    expect(await back.text()).toBe('back again');
  });
});

describe('raw link stack: closing', () => {
  it('sends grpc-status trailers when the edge closes the call', async () => {
    const edge = await startEdge();
    const hand = await dialHand(edge.urls.tunnel!);
    await until('the edge registered the connector', () => edge.backend.connectionCount === 1);
    await edge.close();
    expect(await hand.closed).toBe('the edge ended the call with grpc-status 14: the edge is shutting down');
  });
});

describe('raw link stack: the same call on the wire as grpc-js', () => {
  it('is served by an edge on the grpc-js stack (a raw client whose hello names grpc-js)', async () => {
    const edge = await startEdge({ linkStack: 'grpc-js' });
    await dialHand(edge.urls.tunnel!, (head, call) => call.stream.write(grpcMessage(...replyTo(head))), 'grpc-js');
    await until('the grpc-js edge registered the raw client', () => edge.backend.connectionCount === 1);
    const r = await fetch(`${edge.urls.public}/interop`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('reply to /interop');
  });
});

describe('raw link stack: windows', () => {
  const windows = { streamWindowBytes: 256 * 1024, sessionWindowBytes: 512 * 1024 };

  it('the edge grants --stream-window and --session-window on each tunnel connection', async () => {
    const edge = await startEdge(windows);
    const session = h2connect(edge.urls.tunnel!);
    session.on('error', () => {});
    cleanups.push(() => session.destroy());
    await new Promise((resolve) => session.once('remoteSettings', resolve));
    await until('the session window update arrived', () => session.state.remoteWindowSize === windows.sessionWindowBytes);
    expect(session.remoteSettings.initialWindowSize).toBe(windows.streamWindowBytes);
    expect(session.remoteSettings.maxConcurrentStreams).toBe(1);
  });

  it('the connector grants them too (seen by a node:http2 server standing in for the edge)', async () => {
    const server = createH2Server();
    const seen = new Promise<{ stream: number | undefined; session: number | undefined }>((resolve) =>
      server.on('session', (session: ServerHttp2Session) => {
        session.once('remoteSettings', (settings) => {
          // the session window grows by a WINDOW_UPDATE that follows the SETTINGS
          setTimeout(() => resolve({ stream: settings.initialWindowSize, session: session.state.remoteWindowSize }), 100);
        });
      }),
    );
    server.on('stream', () => {}); // never answers: the dial times out
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as { port: number };
    const dial = RAW_STACK.dial({
      edge: new URL(`http://127.0.0.1:${port}`),
      hello: helloFields({ token: 'tok', connector: 'w', index: 0, linkStack: 'raw', maxMessageBytes: 1 << 20, maxInflightBytes: 1 << 20 }),
      windows,
      maxMessageBytes: 1 << 20,
      timeoutMs: 1000,
      signal: new AbortController().signal,
    });
    expect(await seen).toEqual({ stream: windows.streamWindowBytes, session: windows.sessionWindowBytes });
    await expect(dial).rejects.toThrow(/did not accept the call within 1000 ms/);
  });
});
