/**
 * The session against a hostile peer, over real sockets: input that used to throw out of the socket's
 * data handler, floods of resets, empty frames, CONTINUATION and control frames whose replies are never
 * read, an HPACK bomb, and peers that stall. Each test bounds what the session stores (queue lengths,
 * GOAWAY within N frames, handler calls) rather than measuring RSS.
 */
import { type AddressInfo, createServer as createNetServer, connect as netConnect, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HeadTooLargeError } from '../../src/h2/errors.ts';
import { H2Session, type H2Stream, type HeaderFields, type SessionOptions } from '../../src/h2/session.ts';
import { E, eventually, F, frame, GET_FIELDS, headers, indexed, literal, literalIndexed, ping, RawH2, rst, settings, T } from '../helpers/h2-wire.ts';

interface Srv {
  port: number;
  server: Server;
  sessions: H2Session[];
  seen: string[];
  closeReasons: (Error | null)[];
}

const servers: Srv[] = [];
const raws: RawH2[] = [];
afterEach(() => {
  for (const r of raws.splice(0)) r.close();
  for (const s of servers.splice(0)) {
    s.server.close();
    for (const x of s.sessions) x.destroy();
  }
});

async function rawServer(options: Omit<SessionOptions, 'role'> = {}): Promise<Srv> {
  const srv: Srv = { port: 0, server: null as unknown as Server, sessions: [], seen: [], closeReasons: [] };
  srv.server = createNetServer((socket) =>
    srv.sessions.push(
      new H2Session(socket, {
        role: 'server',
        onStream: (s: H2Stream, h: HeaderFields) => {
          s.on('error', () => {});
          srv.seen.push(String(h[':path']));
          if (h[':path'] === '/hold') return;
          s.resume();
          if (h[':path'] === '/big') {
            s.respond(200, {});
            s.end(Buffer.alloc(200_000, 1));
            return;
          }
          s.respond(200, {}, { endStream: true });
        },
        onClose: (reason) => srv.closeReasons.push(reason),
        ...options,
      }),
    ),
  );
  await new Promise<void>((resolve) => srv.server.listen(0, '127.0.0.1', resolve));
  srv.port = (srv.server.address() as AddressInfo).port;
  servers.push(srv);
  return srv;
}

async function connect(port: number, options: Parameters<typeof RawH2.connect>[1] = {}): Promise<RawH2> {
  const raw = await RawH2.connect(port, options);
  raws.push(raw);
  return raw;
}

/** Stream 1: a POST /hold whose body is still to come (no END_STREAM). */
function postWithBodyToCome(): Buffer {
  return headers(
    1,
    [
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', '/hold'],
      [':authority', 'a'],
    ],
    { endStream: false },
  );
}

describe('input never throws out of the socket handler', () => {
  it('an HPACK integer with 150 continuation octets (NaN) ends that connection with COMPRESSION_ERROR; the server serves on', async () => {
    const srv = await rawServer();
    const raw = await connect(srv.port);
    // literal without indexing, new name: a Huffman name whose length is 0x7f + 150 × 0x80 continuation octets
    const bomb = Buffer.concat([Buffer.from([0x00, 0xff]), Buffer.alloc(150, 0x80), Buffer.from([0x00, 0x01, 0x61])]);
    raw.send(headers(1, bomb));
    expect((await raw.goaway(2000)).code).toBe(E.COMPRESSION_ERROR);
    const next = await connect(srv.port);
    next.send(headers(1, GET_FIELDS('/still')));
    expect(await next.status(1, 2000)).toBe(200);
  });

  it('a handler that throws ends that connection with INTERNAL_ERROR; other connections are served', async () => {
    const srv = await rawServer({
      onStream: (s, h) => {
        if (h[':path'] === '/throw') throw new TypeError('a bug in the handler');
        s.respond(200, {}, { endStream: true });
      },
    });
    const raw = await connect(srv.port);
    raw.send(headers(1, GET_FIELDS('/throw')));
    expect((await raw.goaway(2000)).code).toBe(E.INTERNAL_ERROR);
    await eventually(() => srv.closeReasons.length > 0, 2000, 'the session to close');
    expect(srv.closeReasons[0]?.message).toMatch(/a bug in the handler/);
    const other = await connect(srv.port);
    other.send(headers(1, GET_FIELDS('/fine')));
    expect(await other.status(1, 2000)).toBe(200);
  });
});

describe('reset and glitch budget (nghttp2: burst 1000, 33 per second)', () => {
  it('rapid reset (CVE-2023-44487): 5,000 HEADERS + RST_STREAM get GOAWAY ENHANCE_YOUR_CALM; streams cancelled in the same read never reach the handler', async () => {
    const srv = await rawServer();
    const raw = await connect(srv.port);
    const pairs: Buffer[] = [];
    for (let i = 0; i < 5000; i++) pairs.push(headers(1 + 2 * i, GET_FIELDS('/rr')), rst(1 + 2 * i, E.CANCEL));
    raw.send(...pairs);
    const g = await raw.goaway(5000);
    expect(g.code).toBe(E.ENHANCE_YOUR_CALM);
    expect(g.lastStreamId).toBeLessThan(2 * 1100); // stopped near the burst, not at the end of the flood
    expect(srv.seen.length).toBeLessThan(50); // a pair split across two reads may slip through; whole pairs never do
  });

  it('a burst of resets below the budget is fine: the connection keeps serving', async () => {
    const srv = await rawServer();
    const raw = await connect(srv.port);
    const pairs: Buffer[] = [];
    for (let i = 0; i < 200; i++) pairs.push(headers(1 + 2 * i, GET_FIELDS('/hold')), rst(1 + 2 * i, E.CANCEL));
    raw.send(...pairs);
    raw.send(headers(401, GET_FIELDS('/ok')));
    expect(await raw.status(401, 2000)).toBe(200);
    expect(raw.find(T.GOAWAY)).toBeUndefined();
  });

  it('empty DATA frames without END_STREAM (CVE-2019-9518) get GOAWAY ENHANCE_YOUR_CALM', async () => {
    const srv = await rawServer();
    const raw = await connect(srv.port);
    raw.send(postWithBodyToCome());
    raw.send(...Array.from({ length: 3000 }, () => frame(T.DATA, 0, 1)));
    expect((await raw.goaway(3000)).code).toBe(E.ENHANCE_YOUR_CALM);
  });

  it('a peer that keeps making the session reset its streams (malformed requests) runs out of budget', async () => {
    const srv = await rawServer();
    const raw = await connect(srv.port);
    const bad: Buffer[] = [];
    for (let i = 0; i < 3000; i++) bad.push(headers(1 + 2 * i, [...GET_FIELDS('/x'), ['connection', 'close']]));
    raw.send(...bad);
    expect((await raw.goaway(3000)).code).toBe(E.ENHANCE_YOUR_CALM);
  });
});

describe('header blocks', () => {
  it('a zero-length CONTINUATION flood gets GOAWAY ENHANCE_YOUR_CALM by the 9th frame (nghttp2: 8 per block)', async () => {
    const srv = await rawServer();
    const raw = await connect(srv.port);
    raw.send(headers(1, GET_FIELDS('/c'), { endHeaders: false }));
    raw.send(...Array.from({ length: 9 }, () => frame(T.CONTINUATION, 0, 1)));
    expect((await raw.goaway(2000)).code).toBe(E.ENHANCE_YOUR_CALM);
  });

  it('a block split over 8 CONTINUATION frames is still accepted', async () => {
    const srv = await rawServer();
    const raw = await connect(srv.port);
    const fields = Buffer.concat(GET_FIELDS('/split').map(([n, v]) => literal(n, v)));
    const parts = [fields.subarray(0, 4), ...Array.from({ length: 8 }, (_, i) => fields.subarray(4 + i * 2, i === 7 ? fields.length : 6 + i * 2))];
    raw.send(headers(1, parts[0]!, { endHeaders: false }));
    parts.slice(1).forEach((p, i) => {
      raw.send(frame(T.CONTINUATION, i === 7 ? F.END_HEADERS : 0, 1, p));
    });
    expect(await raw.status(1, 2000)).toBe(200);
  });

  it('advertises SETTINGS_MAX_HEADER_LIST_SIZE (64 KiB by default)', async () => {
    const srv = await rawServer();
    const raw = await connect(srv.port);
    expect((await raw.peerSettings()).get(6)).toBe(65_536);
  });

  it('a client does not send a head larger than the server advertised (HeadTooLargeError; an edge answers 431)', async () => {
    const srv = await rawServer({ maxHeaderListBytes: 2048 });
    const client: H2Session = await new Promise((resolve, reject) => {
      const c: H2Session = new H2Session(netConnect({ host: '127.0.0.1', port: srv.port }), {
        role: 'client',
        onRemoteSettings: () => resolve(c),
        onClose: (r) => reject(r),
      });
    });
    try {
      const head = GET_FIELDS('/big-head');
      expect(() => client.request(head, { 'x-big': 'v'.repeat(4000) }, { endStream: true })).toThrow(HeadTooLargeError);
      const ok = client.request(head, { 'x-small': 'v' }, { endStream: true });
      ok.resume();
      await new Promise((resolve) => ok.once('end', resolve));
      expect(srv.seen).toEqual(['/big-head']); // only the small one reached the server
    } finally {
      client.destroy();
    }
  });

  it('an HPACK bomb (one 4 KB entry referenced 15,000 times: 60 MB decoded) is refused with 431 while decoding; the connection lives', async () => {
    const srv = await rawServer();
    const raw = await connect(srv.port);
    const bomb = Buffer.concat([
      ...GET_FIELDS('/bomb').map(([n, v]) => literal(n, v)),
      literalIndexed('x-bomb', 'a'.repeat(4000)),
      Buffer.alloc(15_000, indexed(62)[0]!),
    ]);
    raw.send(headers(1, bomb.subarray(0, 16_000), { endHeaders: false }), frame(T.CONTINUATION, F.END_HEADERS, 1, bomb.subarray(16_000)));
    expect(await raw.status(1, 3000)).toBe(431);
    expect(srv.seen).not.toContain('/bomb');
    raw.send(headers(3, GET_FIELDS('/after')));
    expect(await raw.status(3, 2000)).toBe(200);
  });
});

describe('body data a reader has not taken yet', () => {
  it('1-byte DATA frames to a stream nobody reads are kept in few chunks, not one object per frame (~100 bytes each)', async () => {
    const held: H2Stream[] = [];
    const srv = await rawServer({
      onStream: (s) => {
        s.on('error', () => {});
        held.push(s);
      },
    });
    const raw = await connect(srv.port);
    raw.send(postWithBodyToCome());
    const one = Buffer.from([0x61]);
    raw.send(Buffer.concat(Array.from({ length: 65_535 }, () => frame(T.DATA, 0, 1, one)))); // the whole stream window
    await eventually(() => held[0] !== undefined && held[0].readableLength + pendingBytes(held[0]) === 65_535, 5000, 'all 65,535 bytes at the session');
    // Node's readable buffer holds one entry per push: a chunk per frame would be 65,535 entries
    const chunks = (held[0] as unknown as { _readableState: { buffer: { length: number } } })._readableState.buffer.length;
    expect(chunks).toBeLessThan(64);
    held[0]!.resume();
    let got = 0;
    held[0]!.on('data', (c: Buffer) => (got += c.length));
    await eventually(() => got === 65_535, 3000, 'every byte read, in order of arrival');
  });
});

/** Bytes the session keeps for a stream beyond its readable buffer (small frames gathered into one chunk). */
function pendingBytes(s: H2Stream): number {
  return (s as unknown as { smallLen?: number }).smallLen ?? 0;
}

/** Writes `frameBytes` copies of `unit` as fast as the peer takes them; stops when it stops taking them. */
async function flood(raw: RawH2, unit: Buffer, count: number): Promise<'all-written' | 'peer-stopped-reading'> {
  const batch = Buffer.concat(Array.from({ length: 4096 }, () => unit));
  for (let sent = 0; sent < count; sent += 4096) {
    if (raw.socket.write(batch)) continue;
    const drained = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 1500);
      raw.socket.once('drain', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
    if (!drained) return 'peer-stopped-reading';
  }
  return 'all-written';
}

describe('control frames whose replies are never read', () => {
  it.each([
    ['PING', ping()],
    ['SETTINGS', settings()],
  ])('a %s flood from a peer that does not read: the session stops reading, what it queues stays bounded', async (_name, unit) => {
    const srv = await rawServer();
    const raw = await connect(srv.port, { noRead: true });
    await eventually(() => srv.sessions.length === 1, 2000, 'the session');
    const outcome = await flood(raw, unit, 1_000_000);
    await new Promise((r) => setTimeout(r, 200));
    const socket = srv.sessions[0]!.socket;
    expect(socket.writableLength).toBeLessThan(1 << 20); // replies held in memory, beyond what the kernel took
    expect(outcome).toBe('peer-stopped-reading');
  });
});

describe('timeouts (one coarse sweep per second)', () => {
  it('a client that sends nothing after connecting is closed after prefaceTimeoutMs', async () => {
    const srv = await rawServer({ prefaceTimeoutMs: 300 });
    const raw = await connect(srv.port, { preface: false });
    await raw.until(() => raw.closed, 4000, 'the server to close the connection');
  });

  it('a peer that never acknowledges our SETTINGS gets GOAWAY SETTINGS_TIMEOUT', async () => {
    const srv = await rawServer({ settingsAckTimeoutMs: 300 });
    const raw = await connect(srv.port, { ackSettings: false });
    expect((await raw.goaway(4000)).code).toBe(E.SETTINGS_TIMEOUT);
  });

  it('a connection without streams for idleTimeoutMs gets GOAWAY NO_ERROR and is closed', async () => {
    const srv = await rawServer({ idleTimeoutMs: 300 });
    const raw = await connect(srv.port);
    raw.send(headers(1, GET_FIELDS('/one')));
    expect(await raw.status(1)).toBe(200);
    expect((await raw.goaway(4000)).code).toBe(E.NO_ERROR);
    await raw.until(() => raw.closed, 4000, 'close');
  });

  it('a stream whose reader never opens its window is reset (CANCEL) after streamStallTimeoutMs', async () => {
    const srv = await rawServer({ streamStallTimeoutMs: 300 });
    const raw = await connect(srv.port, { settings: [[4, 0]] });
    raw.send(headers(1, GET_FIELDS('/big')));
    expect(await raw.rstCode(1, 4000)).toBe(E.CANCEL);
  });

  it('a request whose body never comes (slowloris) is reset (CANCEL) after streamStallTimeoutMs', async () => {
    const srv = await rawServer({ streamStallTimeoutMs: 300 });
    const raw = await connect(srv.port);
    raw.send(postWithBodyToCome());
    expect(await raw.rstCode(1, 4000)).toBe(E.CANCEL);
  });

  it('a stream waiting for the application (request complete, no reply yet) is not a stall', async () => {
    const srv = await rawServer({ streamStallTimeoutMs: 300 });
    const raw = await connect(srv.port);
    raw.send(headers(1, GET_FIELDS('/hold')));
    await new Promise((r) => setTimeout(r, 2200));
    expect(raw.find(T.RST_STREAM, 1)).toBeUndefined();
  });
});
