/**
 * The grpc-stream design's own hazards, checked in-process so both request_id maps and the per-request
 * buffers can be read: requests abandoned by their clients leave nothing behind on either side, a slow
 * reader holds at most --max-inflight-bytes of its request (and does not stall the others on the shared
 * stream), a peer that ignores its credit gets a clear error, and request ids never collide — on both link
 * stacks (raw and grpc-js).
 */
import { request as h1request } from 'node:http';
import { connect as h2connect, constants as h2c } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEFAULT_LINK_STACK, LINK_STACKS, type LinkStackName } from '../../../src/systems/grpc-tunnel/config.ts';
import { type GrpcConnector, startGrpcConnector } from '../../../src/systems/grpc-tunnel/connector.ts';
import { type GrpcTunnelBackend, startGrpcEdge } from '../../../src/systems/grpc-tunnel/edge.ts';
import { helloFields } from '../../../src/systems/grpc-tunnel/handshake.ts';
import { RequestChannel, type TunnelLink } from '../../../src/systems/grpc-tunnel/link.ts';
import { CONNECT_PATH, decodeBatch, encodeFramed, headersFromWire, headersToWire, type TunnelMessage } from '../../../src/systems/grpc-tunnel/protocol.ts';
import { parseGrpcConnectorArgs } from '../../../src/systems/grpc-tunnel/system.ts';
import { startOrigin } from '../../../src/systems/origin/system.ts';
import { isPattern } from '../../../src/wire/payload.ts';
import { curl } from '../../helpers/curl.ts';

const INFLIGHT_BYTES = 64 * 1024;
const quiet = (): void => {};

interface InProcess {
  publicUrl: string;
  backend: GrpcTunnelBackend;
  connector: GrpcConnector;
  close(): Promise<void>;
}

async function startInProcess(
  extraConnectorArgs: string[] = [],
  edgeOptions: { maxInflightBytes?: number; batchBytes?: number } = {},
  linkStack: LinkStackName = DEFAULT_LINK_STACK,
): Promise<InProcess> {
  const origin = await startOrigin({ host: '127.0.0.1', port: 0, grpcPort: 0, wsPort: 0, tcpPort: 0 });
  const edge = await startGrpcEdge({ host: '127.0.0.1', port: 0, tunnelPort: 0, tcpPort: 0, token: 'tok', log: quiet, linkStack, ...edgeOptions });
  const args = [
    '--edge',
    edge.urls.tunnel!,
    '--token',
    'tok',
    '--origin',
    JSON.stringify({ urls: origin.urls }),
    '--link-stack',
    linkStack,
    ...extraConnectorArgs,
  ];
  const connector = await startGrpcConnector({ ...parseGrpcConnectorArgs(args), log: quiet });
  return {
    publicUrl: edge.urls.public!,
    backend: edge.backend,
    connector: connector.connector,
    close: async () => {
      await connector.close();
      await edge.close();
      await origin.close();
    },
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(LINK_STACKS)('%s link stack', (stack) => {
  describe('grpc tunnel: requests abandoned by their clients leave no entry behind', () => {
    let t: InProcess;
    beforeAll(async () => {
      t = await startInProcess([], {}, stack);
    });
    afterAll(() => t.close());
    afterEach(async () => {
      await until('both request_id maps are empty', () => t.backend.inflight === 0 && t.connector.inflight === 0);
    });

    it('an HTTP/1.1 client that goes away mid-upload', async () => {
      const req = h1request(`${t.publicUrl}/echo`, { method: 'POST', agent: false, headers: { 'content-length': String(10 * 1024 * 1024) } });
      req.on('error', () => {});
      req.write(Buffer.alloc(1024 * 1024, 1));
      await until('the request is open on both sides', () => t.backend.inflight === 1 && t.connector.inflight === 1);
      req.destroy();
    });

    it('an HTTP/1.1 client that goes away mid-download', async () => {
      await new Promise<void>((resolve, reject) => {
        const req = h1request(`${t.publicUrl}/bytes/${32 * 1024 * 1024}`, { agent: false }, (res) => {
          res.once('data', () => {
            expect(t.backend.inflight).toBe(1);
            req.destroy();
            resolve();
          });
        });
        req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
        req.end();
      });
    });

    it('an HTTP/2 client that resets its stream while the origin is still working', async () => {
      const session = h2connect(t.publicUrl);
      try {
        const stream = session.request({ ':method': 'POST', ':path': '/delay/5000' });
        stream.on('error', () => {});
        stream.write('waiting');
        await until('the request is open on both sides', () => t.backend.inflight === 1 && t.connector.inflight === 1);
        stream.close(h2c.NGHTTP2_CANCEL);
      } finally {
        await until('both maps are empty', () => t.backend.inflight === 0 && t.connector.inflight === 0);
        session.destroy();
      }
    });

    it('a WebSocket client that drops its connection', async () => {
      const ws = new WebSocket(`${t.publicUrl.replace('http:', 'ws:')}/chat`);
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      expect(t.backend.inflight).toBe(1);
      ws.terminate();
    });

    it('a complete response to a request whose body never ended (the edge cancels the rest)', async () => {
      const req = h1request(`${t.publicUrl}/status/201`, { method: 'POST', agent: false, headers: { 'content-length': String(1024 * 1024) } });
      req.on('error', () => {});
      const status = await new Promise<number>((resolve) => {
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.write(Buffer.alloc(1000, 2)); // and never the rest
      });
      expect(status).toBe(201);
      await until('both maps are empty with the client still connected', () => t.backend.inflight === 0 && t.connector.inflight === 0);
      req.destroy();
    });
  });

  describe('grpc tunnel: a slow reader', () => {
    let t: InProcess;
    beforeAll(async () => {
      t = await startInProcess(['--max-inflight-bytes', String(INFLIGHT_BYTES)], { maxInflightBytes: INFLIGHT_BYTES }, stack);
    });
    afterAll(() => t.close());

    it('holds at most --max-inflight-bytes of its request at the edge, pauses the origin read, and stalls no other request', async () => {
      const total = 32 * 1024 * 1024;
      const parts: Buffer[] = [];
      let res!: import('node:http').IncomingMessage;
      const req = h1request(`${t.publicUrl}/bytes/${total}`, { agent: false });
      await new Promise<void>((resolve, reject) => {
        req.on('response', (r) => {
          res = r;
          r.pause(); // read nothing for now
          resolve();
        });
        req.on('error', reject);
        req.end();
      });
      await sleep(1500);
      const edge = t.backend.stats();
      const connector = t.connector.stats();
      expect(edge.peakRequestBufferBytes).toBeLessThanOrEqual(INFLIGHT_BYTES);
      expect(edge.bufferedBytes).toBeLessThanOrEqual(INFLIGHT_BYTES);
      // What crossed the tunnel is what the paused client's socket buffers took, plus one window: far from all.
      expect(connector.bodyBytesSent).toBeLessThan(total / 2);

      // The shared stream is not blocked behind the stalled request.
      const other = await curl(`${t.publicUrl}/echo`, [], Buffer.from('not stuck'));
      expect(other.body.toString()).toBe('not stuck');

      res.on('data', (c: Buffer) => parts.push(c));
      const ended = new Promise<void>((resolve) => res.once('end', () => resolve()));
      res.resume();
      await ended;
      const body = Buffer.concat(parts);
      expect(body.length).toBe(total);
      expect(isPattern(body)).toBe(true);
      expect(t.backend.stats().peakRequestBufferBytes).toBeLessThanOrEqual(INFLIGHT_BYTES);
      expect(t.connector.stats().peakRequestBufferBytes).toBeLessThanOrEqual(INFLIGHT_BYTES);
    }, 30_000);
  });

  describe('grpc tunnel: a connector that ignores its credit', () => {
    it('has the request failed with an error naming the bound, and the stream keeps working', async () => {
      const edge = await startGrpcEdge({
        host: '127.0.0.1',
        port: 0,
        tunnelPort: 0,
        tcpPort: 0,
        token: 'tok',
        log: quiet,
        maxInflightBytes: 4096,
        linkStack: stack,
      });
      const url = new URL(edge.urls.tunnel!);
      const client = new grpc.Client(`${url.hostname}:${url.port}`, grpc.credentials.createInsecure());
      try {
        // A hand-made connector on grpc-js (whatever the edge's stack: the call is the same on the wire):
        // answers every head with a response and 3 chunks of 4 KiB, ignoring the edge's credit of 4 KiB.
        const md = new grpc.Metadata();
        for (const [k, v] of Object.entries(
          helloFields({ token: 'tok', connector: 'rogue', index: 0, linkStack: stack, maxMessageBytes: 1 << 20, maxInflightBytes: 1 << 20 }),
        ))
          md.set(k, v);
        const call = client.makeBidiStreamRequest(
          CONNECT_PATH,
          (b: Buffer) => b,
          (b: Buffer) => b,
          md,
        );
        call.on('error', () => {});
        const cancels: TunnelMessage[] = [];
        call.on('data', (batch: Buffer) => {
          for (const m of decodeBatch(batch)) {
            if (m.payload === 'cancel') cancels.push(m);
            if (m.payload !== 'head') continue;
            const id = m.requestId;
            const chunk = (n: number): Buffer => encodeFramed({ requestId: id, payload: 'chunk', chunk: { data: Buffer.alloc(n, 1) } });
            call.write(
              Buffer.concat([
                encodeFramed({ requestId: id, payload: 'response', response: { status: 200, headers: [] } }),
                chunk(4096),
                chunk(4096),
                chunk(4096),
              ]),
            );
          }
        });
        await new Promise((resolve) => call.once('metadata', resolve));
        await until('the edge registered it', () => edge.backend.connectionCount === 1);

        // Failed either way: a 502 naming the bound when the request failed before its head went out, a
        // cut-off body after (which of the two depends on how soon the public side took the head).
        const reply = await fetch(`${edge.urls.public}/anything`).then(
          (r) => r.arrayBuffer().then((b) => (r.status === 200 ? 'complete' : `${r.status} ${Buffer.from(b).toString()}`)),
          (err: Error) => `failed: ${err.message}`,
        );
        expect(reply).not.toBe('complete');
        if (!reply.startsWith('failed')) expect(reply).toMatch(/^502 .*per-request bound of 4096 bytes/);
        await until('the edge cancelled the request', () => cancels.length === 1);
        expect((cancels[0] as TunnelMessage & { payload: 'cancel' }).cancel.reason).toMatch(
          /more than the per-request bound of 4096 bytes \(--max-inflight-bytes\)/,
        );
        expect(edge.backend.inflight).toBe(0);
        expect(edge.backend.connectionCount).toBe(1);
        call.cancel();
      } finally {
        client.close();
        await edge.close();
      }
    });
  });

  describe('grpc tunnel: several connections', () => {
    it('spreads open requests evenly over --connections 3', async () => {
      const t = await startInProcess(['--connections', '3'], {}, stack);
      try {
        expect(t.backend.connectionCount).toBe(3);
        const bodies = Array.from({ length: 30 }, (_, i) => Buffer.from(`request ${i}`));
        const replies = Promise.all(bodies.map((b) => curl(`${t.publicUrl}/delay/2000`, [], b)));
        await until('all 30 are open', () => t.backend.inflight === 30);
        expect(t.backend.inflightPerConnection()).toEqual([10, 10, 10]);
        expect((await replies).map((r) => r.body.toString())).toEqual(bodies.map(String));
      } finally {
        await t.close();
      }
    });
  });

  describe('grpc tunnel: batching off', () => {
    it('works with one TunnelMessage per gRPC message (--batch-bytes 0)', async () => {
      const t = await startInProcess(['--batch-bytes', '0'], { batchBytes: 0 }, stack);
      try {
        const echo = await curl(`${t.publicUrl}/echo`, ['--http2-prior-knowledge'], Buffer.alloc(100_000, 9));
        expect(echo.body.equals(Buffer.alloc(100_000, 9))).toBe(true);
        const s = t.connector.stats();
        expect(s.batchesSent).toBe(s.messagesSent);
      } finally {
        await t.close();
      }
    });
  });
});

describe('grpc tunnel: request ids and codec', () => {
  class Probe extends RequestChannel {
    protected finalMessage(): TunnelMessage {
      return { requestId: this.id, payload: 'end', end: {} };
    }
    protected abandonMessage(): TunnelMessage {
      return { requestId: this.id, payload: 'cancel', cancel: {} };
    }
    protected receiveControl(): void {}
    lost(): void {}
  }

  it('allocates ids that wrap after 2^32-1, skip 0 and skip ids still open', async () => {
    const t = await startInProcess();
    try {
      const link = [...(t.backend as unknown as { links: TunnelLink[] }).links][0]!;
      (link as unknown as { nextId: number }).nextId = 0xffff_fffe;
      const a = link.allocateId();
      link.register(new Probe(link, a));
      link.register(new Probe(link, 1)); // still open from before the wrap
      expect([a, link.allocateId(), link.allocateId()]).toEqual([0xffff_fffe, 0xffff_ffff, 2]);
      for (const id of [a, 1]) link.unregister(link.channels.get(id)!);
      expect(link.channels.size).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('frames messages so that their concatenation is one TunnelBatch, headers in order with repeats', () => {
    const headers = { 'set-cookie': ['a=1', 'b=2'], 'x-one': 'v' };
    const messages: TunnelMessage[] = [
      {
        requestId: 7,
        payload: 'head',
        head: { kind: 'WEBSOCKET', method: 'CONNECT', path: '/ws', authority: 'h', headers: headersToWire(headers), endStream: false },
      },
      { requestId: 0xffff_ffff, payload: 'chunk', chunk: { data: Buffer.from([0, 1, 255]) } },
      { requestId: 7, payload: 'window', window: { bytes: 65_536 } },
      { requestId: 7, payload: 'end', end: {} },
    ];
    const decoded = decodeBatch(Buffer.concat(messages.map(encodeFramed)));
    expect(decoded.map((m) => [m.requestId, m.payload])).toEqual([
      [7, 'head'],
      [0xffff_ffff, 'chunk'],
      [7, 'window'],
      [7, 'end'],
    ]);
    const head = decoded[0] as TunnelMessage & { payload: 'head' };
    expect(head.head.kind).toBe('WEBSOCKET');
    expect(headersFromWire(head.head.headers)).toEqual(headers);
    expect([...(decoded[1] as TunnelMessage & { payload: 'chunk' }).chunk.data!]).toEqual([0, 1, 255]);
  });
});
