/**
 * The h2 edge against hostile public clients and a hostile connector, over real sockets: input that used
 * to kill the process (a `serve`d edge in a child process), rapid reset, cancelled and stalled streams that
 * used to keep their tunnel slot for good, malformed requests and HPACK bombs that must not reach (or
 * break) the tunnel. The in-process stack counts what reaches the origin.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type Supervised } from '../../../src/run/supervise.ts';
import { startH2Connector } from '../../../src/systems/h2-tunnel/connector.ts';
import { startH2Edge } from '../../../src/systems/h2-tunnel/edge.ts';
import { helloLine } from '../../../src/systems/h2-tunnel/handshake.ts';
import { DEFAULT_INGRESS } from '../../../src/systems/tunnel/ingress.ts';
import { runCli, stopAll } from '../../helpers/cli.ts';
import { curl } from '../../helpers/curl.ts';
import { E, eventually, F, frame, GET_FIELDS, headers, indexed, literal, literalIndexed, RawH2, rst, T } from '../../helpers/h2-wire.ts';

/** A Huffman name whose length is 0x7f + 150 continuation octets: NaN in the old integer decoder. */
const NAN_BLOCK = Buffer.concat([Buffer.from([0x00, 0xff]), Buffer.alloc(150, 0x80), Buffer.from([0x00, 0x01, 0x61])]);

const raws: RawH2[] = [];
afterEach(() => {
  for (const r of raws.splice(0)) r.close();
});
async function connect(port: number, options: Parameters<typeof RawH2.connect>[1] = {}): Promise<RawH2> {
  const raw = await RawH2.connect(port, options);
  raws.push(raw);
  return raw;
}
const portOf = (url: string): number => Number(new URL(url).port);

describe('a served edge (child process) survives input that used to kill it', () => {
  let edge: Supervised;
  beforeAll(async () => {
    edge = await startSystem('h2-edge', ['--port', '0', '--token', 'tok']);
  });
  afterAll(async () => {
    await edge?.stop();
    stopAll();
  });

  it('public port (server role): one ~170-byte HEADERS frame with a NaN HPACK integer gets GOAWAY COMPRESSION_ERROR, the edge serves on', async () => {
    const raw = await connect(portOf(edge.ready.urls.public!));
    raw.send(headers(1, NAN_BLOCK));
    expect((await raw.goaway(3000)).code).toBe(E.COMPRESSION_ERROR);
    const after = await curl(`${edge.ready.urls.public}/x`, ['--http2-prior-knowledge']);
    expect(after.status).toBe(503); // no connector: answered, not crashed
    expect(edge.child.exitCode).toBeNull();
  });

  it('tunnel port (client role), with a valid token: the same HEADERS from the "connector" gets GOAWAY COMPRESSION_ERROR, the edge serves on', async () => {
    const hello = helloLine({
      token: 'tok',
      connector: 'evil',
      index: 0,
      maxConcurrentStreams: 100,
      streamWindowBytes: 65_535,
      sessionWindowBytes: 65_535,
      maxSessionMemoryMb: 10,
    });
    const raw = await connect(portOf(edge.ready.urls.tunnel!), { hello, expectPreface: true });
    await raw.until(() => raw.frames.some((f) => f.type === T.SETTINGS && !(f.flags & F.ACK)), 3000, "the edge's SETTINGS");
    raw.send(headers(1, NAN_BLOCK));
    expect((await raw.goaway(3000)).code).toBe(E.COMPRESSION_ERROR);
    const after = await curl(`${edge.ready.urls.public}/x`);
    expect([502, 503]).toContain(after.status);
    expect(edge.child.exitCode).toBeNull();
  });

  it('--help lists every public-side limit with its default', async () => {
    for (const system of ['h2-edge', 'grpc-edge']) {
      const r = await runCli(['serve', system, '--help']);
      for (const knob of [
        '--public-max-streams',
        '--public-max-memory-mb',
        '--public-max-header-list-bytes',
        '--public-idle-timeout-ms',
        '--public-stall-timeout-ms',
        '--public-reset-burst',
        '--public-reset-refill',
      ]) {
        expect(r.stdout + r.stderr, `${system} --help`).toContain(knob);
      }
    }
  });
});

/** An origin that counts the requests it gets: /bytes/N, /delay/MS, anything else 200 "ok". */
async function countingOrigin(): Promise<{ url: string; count: () => number; server: HttpServer }> {
  let n = 0;
  const server = createHttpServer((req, res) => {
    n++;
    req.resume();
    const url = req.url ?? '/';
    const bytes = /^\/bytes\/(\d+)/.exec(url);
    const delay = /^\/delay\/(\d+)/.exec(url);
    if (bytes) {
      res.writeHead(200, { 'content-length': bytes[1] });
      res.end(Buffer.alloc(Number(bytes[1]), 0x61));
    } else if (delay) {
      setTimeout(() => res.end('late'), Number(delay[1]));
    } else res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, count: () => n, server };
}

interface InProcess {
  publicPort: number;
  publicUrl: string;
  origin: Awaited<ReturnType<typeof countingOrigin>>;
  edge: Awaited<ReturnType<typeof startH2Edge>>;
  stop(): Promise<void>;
}

async function inProcessTunnel(o: { streams?: number; queueTimeoutMs?: number; publicLimits?: Record<string, number> } = {}): Promise<InProcess> {
  const origin = await countingOrigin();
  const log = (): void => {};
  const edge = await startH2Edge({
    host: '127.0.0.1',
    port: 0,
    tunnelPort: 0,
    tcpPort: 0,
    token: 'tok',
    queueTimeoutMs: o.queueTimeoutMs ?? 30_000,
    publicLimits: o.publicLimits,
    log,
  });
  const connector = await startH2Connector({
    edge: new URL(edge.urls.tunnel!),
    token: 'tok',
    origins: { http: new URL(origin.url) },
    ingress: DEFAULT_INGRESS,
    connections: 1,
    maxConcurrentStreams: o.streams ?? 100,
    streamWindowBytes: 65_535,
    sessionWindowBytes: 65_535,
    maxSessionMemoryMb: 10,
    log,
  });
  return {
    publicPort: portOf(edge.urls.public!),
    publicUrl: edge.urls.public!,
    origin,
    edge,
    stop: async () => {
      await connector.close();
      await edge.close();
      origin.server.closeAllConnections();
      origin.server.close();
    },
  };
}

describe('the edge under abuse (in-process stack, counting origin)', () => {
  let t: InProcess | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('advertises its public limits: 100 concurrent streams, a 64 KiB header list', async () => {
    t = await inProcessTunnel();
    const raw = await connect(t.publicPort);
    const s = await raw.peerSettings();
    expect(s.get(3)).toBe(100);
    expect(s.get(6)).toBe(65_536);
  });

  it('rapid reset: streams cancelled before they were forwarded never reach the origin', async () => {
    t = await inProcessTunnel();
    const raw = await connect(t.publicPort);
    const pairs: Buffer[] = [];
    for (let i = 0; i < 300; i++) pairs.push(headers(1 + 2 * i, GET_FIELDS('/rr')), rst(1 + 2 * i, E.CANCEL));
    raw.send(...pairs);
    raw.send(headers(601, GET_FIELDS('/after')));
    expect(await raw.status(601, 5000)).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.origin.count()).toBeLessThanOrEqual(3); // '/after', and a pair that a read happened to split
  });

  it('rapid reset flood (CVE-2023-44487): 20,000 HEADERS + RST_STREAM get GOAWAY ENHANCE_YOUR_CALM; the origin sees few; the edge serves on', async () => {
    t = await inProcessTunnel();
    const raw = await connect(t.publicPort);
    const pairs: Buffer[] = [];
    for (let i = 0; i < 20_000; i++) pairs.push(headers(1 + 2 * i, GET_FIELDS('/rr')), rst(1 + 2 * i, E.CANCEL));
    raw.send(...pairs);
    expect((await raw.goaway(5000)).code).toBe(E.ENHANCE_YOUR_CALM);
    expect(t.origin.count()).toBeLessThan(1000);
    const ok = await curl(`${t.publicUrl}/fine`, ['--http2-prior-knowledge']);
    expect(ok.status).toBe(200);
  });

  it('streams reset while waiting for a tunnel stream give their place back (was: 503 "no tunnel stream became free" forever)', async () => {
    t = await inProcessTunnel({ streams: 2, queueTimeoutMs: 3000 });
    // two slow requests take both tunnel streams
    const slow = [curl(`${t.publicUrl}/delay/600`), curl(`${t.publicUrl}/delay/600`)];
    await eventually(() => t!.origin.count() === 2, 3000, 'the slow requests at the origin');
    // six public streams queue behind them (large replies: more than a stream window), then are reset
    const raw = await connect(t.publicPort);
    for (let i = 0; i < 6; i++) raw.send(headers(1 + 2 * i, GET_FIELDS('/bytes/300000')));
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 6; i++) raw.send(rst(1 + 2 * i, E.CANCEL));
    await Promise.all(slow);
    const after = await curl(`${t.publicUrl}/bytes/10`);
    expect(after.status).toBe(200);
    expect(t.edge.backend.queued).toBe(0);
  });

  it('a client that never opens its receive window loses its streams after the stall timeout; others are served', async () => {
    t = await inProcessTunnel({ streams: 2, queueTimeoutMs: 8000, publicLimits: { streamStallTimeoutMs: 500 } });
    const raw = await connect(t.publicPort, { settings: [[4, 0]] });
    raw.send(headers(1, GET_FIELDS('/bytes/300000')), headers(3, GET_FIELDS('/bytes/300000')));
    await eventually(() => t!.origin.count() === 2, 3000, 'both held requests at the origin');
    const other = await curl(`${t.publicUrl}/bytes/10`);
    expect(other.status).toBe(200);
    expect(await raw.rstCode(1, 5000)).toBe(E.CANCEL);
    expect(await raw.rstCode(3, 5000)).toBe(E.CANCEL);
  });

  it('a client that closes its connection mid-response releases its tunnel streams at once', async () => {
    t = await inProcessTunnel({ streams: 2, queueTimeoutMs: 3000 });
    const raw = await connect(t.publicPort, { settings: [[4, 0]] });
    raw.send(headers(1, GET_FIELDS('/bytes/300000')), headers(3, GET_FIELDS('/bytes/300000')));
    await eventually(() => t!.origin.count() === 2, 3000, 'both held requests at the origin');
    raw.close();
    const other = await curl(`${t.publicUrl}/bytes/10`);
    expect(other.status).toBe(200);
  });

  it('a malformed request (connection: header) is refused with RST_STREAM PROTOCOL_ERROR and never forwarded', async () => {
    t = await inProcessTunnel();
    const raw = await connect(t.publicPort);
    raw.send(headers(1, [...GET_FIELDS('/bad'), ['connection', 'keep-alive']]), headers(3, [...GET_FIELDS('/bad2'), ['Upper', 'x']]));
    expect(await raw.rstCode(1, 3000)).toBe(E.PROTOCOL_ERROR);
    expect(await raw.rstCode(3, 3000)).toBe(E.PROTOCOL_ERROR);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.origin.count()).toBe(0);
  });

  it('an HPACK bomb is refused with 431 at the public side; the tunnel connection stays up for everyone', async () => {
    t = await inProcessTunnel();
    const raw = await connect(t.publicPort);
    const bomb = Buffer.concat([
      ...GET_FIELDS('/bomb').map(([n, v]) => literal(n, v)),
      literalIndexed('x-bomb', 'a'.repeat(4000)),
      Buffer.alloc(15_000, indexed(62)[0]!),
    ]);
    raw.send(headers(1, bomb.subarray(0, 16_000), { endHeaders: false }), frame(T.CONTINUATION, F.END_HEADERS, 1, bomb.subarray(16_000)));
    expect(await raw.status(1, 3000)).toBe(431);
    expect(t.origin.count()).toBe(0);
    const ok = await curl(`${t.publicUrl}/fine`);
    expect(ok.status).toBe(200);
    expect(t.edge.backend.connectionCount).toBe(1);
  });
});
