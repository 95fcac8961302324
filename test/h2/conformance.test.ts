/**
 * RFC 9113 §5, §6 and §8 over a real socket: a raw peer writes frames a conforming endpoint must refuse,
 * and the session answers with the connection error (GOAWAY) or stream error (RST_STREAM) the RFC names —
 * in the server role (the public side) and in the client role (the edge towards a connector).
 */
import { type AddressInfo, createServer as createNetServer, type Server, connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H2Session, type H2Stream, type HeaderFields, type SessionOptions, type StreamError } from '../../src/h2/session.ts';
import { block, E, F, frame, GET_FIELDS, headers, PREFACE, ping, RawH2, rst, settings, SETTINGS_ACK, T, u32, windowUpdate } from '../helpers/h2-wire.ts';

interface Srv {
  port: number;
  server: Server;
  sessions: H2Session[];
  /** paths the handler saw */
  seen: string[];
}

async function rawServer(options: Omit<SessionOptions, 'role'> = {}): Promise<Srv> {
  const sessions: H2Session[] = [];
  const seen: string[] = [];
  const server = createNetServer((socket) =>
    sessions.push(
      new H2Session(socket, {
        role: 'server',
        onStream: (s: H2Stream, h: HeaderFields) => {
          s.on('error', () => {});
          seen.push(String(h[':path']));
          if (h[':path'] === '/hold') return; // stays open, unanswered
          s.resume();
          s.respond(200, {}, { endStream: true });
        },
        ...options,
      }),
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server, sessions, seen };
}

function stop(srv: Srv): void {
  srv.server.close();
  for (const s of srv.sessions) s.destroy();
}

describe('server role: connection errors (GOAWAY with the code RFC 9113 names)', () => {
  let srv: Srv;
  beforeAll(async () => {
    srv = await rawServer();
  });
  afterAll(() => stop(srv));

  it.each([
    ['§5.1.1 a client stream with an even id', [headers(2, GET_FIELDS())], E.PROTOCOL_ERROR],
    ['§5.1.1 a new stream id lower than one already used', [headers(5, GET_FIELDS()), headers(3, GET_FIELDS())], E.PROTOCOL_ERROR],
    ['§5.1 DATA on an idle stream', [frame(T.DATA, 0, 1, Buffer.from('x'))], E.PROTOCOL_ERROR],
    ['§5.1 WINDOW_UPDATE on an idle stream', [windowUpdate(1, 100)], E.PROTOCOL_ERROR],
    ['§5.1 RST_STREAM on an idle stream', [rst(1, E.CANCEL)], E.PROTOCOL_ERROR],
    ['§6.5 a SETTINGS ACK with a payload', [settings([[3, 10]], F.ACK)], E.FRAME_SIZE_ERROR],
    ['§6.5.2 ENABLE_PUSH = 2', [settings([[2, 2]])], E.PROTOCOL_ERROR],
    ['§6.5.2 MAX_FRAME_SIZE below 2^14', [settings([[5, 100]])], E.PROTOCOL_ERROR],
    ['§6.9.1 the connection window pushed past 2^31-1', [windowUpdate(0, 2 ** 31 - 1)], E.FLOW_CONTROL_ERROR],
    ['§6.3 PRIORITY on stream 0', [frame(T.PRIORITY, 0, 0, Buffer.from([0, 0, 0, 1, 16]))], E.PROTOCOL_ERROR],
    ['§6.10 CONTINUATION without a HEADERS before it', [frame(T.CONTINUATION, F.END_HEADERS, 1, Buffer.from([0x82]))], E.PROTOCOL_ERROR],
    ['§8.4 PUSH_PROMISE from a client', [frame(T.PUSH_PROMISE, F.END_HEADERS, 1, Buffer.from([0, 0, 0, 2, 0x82]))], E.PROTOCOL_ERROR],
  ])('%s', async (_name, frames, code) => {
    const raw = await RawH2.connect(srv.port);
    try {
      raw.send(...frames);
      expect((await raw.goaway(2000)).code).toBe(code);
      await raw.whenClosed;
    } finally {
      raw.close();
    }
  });

  it('§3.4 a connection whose first frame after the preface is not SETTINGS', async () => {
    const raw = await RawH2.connect(srv.port, { preface: false });
    try {
      raw.send(PREFACE, ping(), settings());
      expect((await raw.goaway()).code).toBe(E.PROTOCOL_ERROR);
    } finally {
      raw.close();
    }
  });

  it('§6.9.2 an INITIAL_WINDOW_SIZE change that pushes an open stream window past 2^31-1', async () => {
    const raw = await RawH2.connect(srv.port);
    try {
      raw.send(headers(1, GET_FIELDS('/hold')));
      raw.send(windowUpdate(1, 2 ** 31 - 1 - 65_535)); // the stream's send window is now exactly 2^31-1
      raw.send(settings([[4, 65_536]])); // +1 for every open stream
      expect((await raw.goaway()).code).toBe(E.FLOW_CONTROL_ERROR);
    } finally {
      raw.close();
    }
  });
});

describe('server role: stream errors (RST_STREAM), the connection lives on', () => {
  let srv: Srv;
  beforeAll(async () => {
    srv = await rawServer();
  });
  afterAll(() => stop(srv));

  const self = (id: number): Buffer => u32(id, 0).subarray(0, 5).fill(16, 4, 5); // depends on itself, weight 16

  it.each([
    ['§5.3.1 PRIORITY making a stream depend on itself', (id: number) => [frame(T.PRIORITY, 0, id, self(id))], E.PROTOCOL_ERROR],
    [
      '§5.3.1 HEADERS whose priority makes the stream depend on itself',
      (id: number) => [headers(id, GET_FIELDS('/self'), { priority: self(id) })],
      E.PROTOCOL_ERROR,
    ],
    ['§6.3 PRIORITY of 4 octets', (id: number) => [frame(T.PRIORITY, 0, id, Buffer.from([0, 0, 0, 0]))], E.FRAME_SIZE_ERROR],
    ['§8.2.1 an upper-case field name', (id: number) => [headers(id, [...GET_FIELDS('/upper'), ['X-Upper', '1']])], E.PROTOCOL_ERROR],
    [
      '§8.2.2 a connection-specific field (connection)',
      (id: number) => [headers(id, [...GET_FIELDS('/conn'), ['connection', 'keep-alive']])],
      E.PROTOCOL_ERROR,
    ],
    [
      '§8.2.2 a connection-specific field (transfer-encoding)',
      (id: number) => [headers(id, [...GET_FIELDS('/te'), ['transfer-encoding', 'chunked']])],
      E.PROTOCOL_ERROR,
    ],
    ['§8.2.2 te other than "trailers"', (id: number) => [headers(id, [...GET_FIELDS('/te'), ['te', 'gzip']])], E.PROTOCOL_ERROR],
    [
      '§8.3 a pseudo-header after a regular field',
      (id: number) => [
        headers(id, [
          [':method', 'GET'],
          [':scheme', 'http'],
          ['accept', '*/*'],
          [':path', '/late'],
          [':authority', 'a'],
        ]),
      ],
      E.PROTOCOL_ERROR,
    ],
    ['§8.3 an unknown pseudo-header', (id: number) => [headers(id, [...GET_FIELDS('/p'), [':foo', 'x']])], E.PROTOCOL_ERROR],
    ['§8.3 a response pseudo-header in a request', (id: number) => [headers(id, [...GET_FIELDS('/s'), [':status', '200']])], E.PROTOCOL_ERROR],
    ['§8.3.1 a pseudo-header twice', (id: number) => [headers(id, [...GET_FIELDS('/twice'), [':path', '/again']])], E.PROTOCOL_ERROR],
    ['§8.3.1 an empty :path', (id: number) => [headers(id, GET_FIELDS(''))], E.PROTOCOL_ERROR],
    [
      '§8.3.1 a request without :scheme',
      (id: number) => [
        headers(id, [
          [':method', 'GET'],
          [':path', '/'],
          [':authority', 'a'],
        ]),
      ],
      E.PROTOCOL_ERROR,
    ],
    ['§8.2.1 a field value with a line feed', (id: number) => [headers(id, [...GET_FIELDS('/lf'), ['x-a', 'one\ntwo']])], E.PROTOCOL_ERROR],
    ['§8.2.1 a field value with leading white space', (id: number) => [headers(id, [...GET_FIELDS('/ws'), ['x-a', ' padded']])], E.PROTOCOL_ERROR],
    ['§8.2.1 a field name with a space', (id: number) => [headers(id, [...GET_FIELDS('/sp'), ['x a', '1']])], E.PROTOCOL_ERROR],
    ['§8.2.1 an empty field name', (id: number) => [headers(id, [...GET_FIELDS('/empty'), ['', '1']])], E.PROTOCOL_ERROR],
    [
      '§8.1.1 a body shorter than its content-length',
      (id: number) => [
        headers(
          id,
          [
            [':method', 'POST'],
            [':scheme', 'http'],
            [':path', '/hold'],
            [':authority', 'a'],
            ['content-length', '10'],
          ],
          { endStream: false },
        ),
        frame(T.DATA, F.END_STREAM, id, Buffer.from('abc')),
      ],
      E.PROTOCOL_ERROR,
    ],
    [
      '§8.1 trailers with a pseudo-header',
      (id: number) => [
        headers(
          id,
          [
            [':method', 'POST'],
            [':scheme', 'http'],
            [':path', '/hold'],
            [':authority', 'a'],
          ],
          { endStream: false },
        ),
        headers(id, [[':path', '/x']]),
      ],
      E.PROTOCOL_ERROR,
    ],
  ])('%s', async (_name, frames, code) => {
    const raw = await RawH2.connect(srv.port);
    try {
      const before = srv.seen.length;
      raw.send(...frames(1));
      expect(await raw.rstCode(1, 2000)).toBe(code);
      // a malformed request is never handed to the application (only valid '/hold' heads are)
      expect(srv.seen.slice(before).filter((p) => p !== '/hold')).toEqual([]);
      raw.send(headers(3, GET_FIELDS('/after')));
      expect(await raw.status(3)).toBe(200);
      expect(raw.find(T.GOAWAY)).toBeUndefined();
    } finally {
      raw.close();
    }
  });

  it('§5.1 ignores DATA and WINDOW_UPDATE on a stream it reset (they may cross the RST_STREAM)', async () => {
    const raw = await RawH2.connect(srv.port);
    try {
      raw.send(headers(1, [...GET_FIELDS('/x'), ['connection', 'close']], { endStream: false }));
      expect(await raw.rstCode(1)).toBe(E.PROTOCOL_ERROR);
      raw.send(frame(T.DATA, 0, 1, Buffer.from('late')), windowUpdate(1, 10), headers(3, GET_FIELDS('/after')));
      expect(await raw.status(3)).toBe(200);
      expect(raw.find(T.GOAWAY)).toBeUndefined();
    } finally {
      raw.close();
    }
  });
});

describe('client role: what a server may not send', () => {
  /** A raw server: every accepted connection gets `script` run on it. */
  async function fakeServer(script: (raw: RawH2) => void): Promise<{ port: number; server: Server }> {
    const server = createNetServer((socket) => script(RawH2.accept(socket)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, server };
  }

  function clientTo(port: number): Promise<{ session: H2Session }> {
    return new Promise((resolve, reject) => {
      const session = new H2Session(netConnect({ host: '127.0.0.1', port }), {
        role: 'client',
        onRemoteSettings: () => resolve({ session }),
        onClose: (reason) => reject(reason ?? new Error('closed before SETTINGS')),
      });
    });
  }

  it.each([
    ['§5.1 HEADERS on a stream the client never opened', (raw: RawH2) => raw.send(headers(1, [[':status', '200']]))],
    ['§8.4 HEADERS on an even (pushed) stream', (raw: RawH2) => raw.send(headers(2, [[':status', '200']]))],
    ['§6.5.2 ENABLE_PUSH = 1 from a server', (raw: RawH2) => raw.send(settings([[2, 1]]))],
    ['§5.1 DATA on a stream the client never opened', (raw: RawH2) => raw.send(frame(T.DATA, 0, 5, Buffer.from('x')))],
  ])('%s → GOAWAY PROTOCOL_ERROR', async (_name, script) => {
    let raw: RawH2 | undefined;
    const srv = await fakeServer((r) => {
      raw = r;
      r.until(() => r.frames.some((f) => f.type === T.SETTINGS && f.flags & F.ACK)).then(
        () => script(r),
        () => {},
      );
    });
    try {
      const { session } = await clientTo(srv.port);
      try {
        expect((await raw!.goaway(3000)).code).toBe(E.PROTOCOL_ERROR);
      } finally {
        session.destroy();
      }
    } finally {
      raw?.close();
      srv.server.close();
    }
  });

  it('§8.2 a response with an upper-case field name fails that stream only (PROTOCOL_ERROR)', async () => {
    let raw: RawH2 | undefined;
    const srv = await fakeServer((r) => {
      raw = r;
      r.until(() => r.find(T.HEADERS, 1) !== undefined).then(
        () =>
          r.send(
            headers(
              1,
              block([
                [':status', '200'],
                ['X-Bad', '1'],
              ]),
            ),
          ),
        () => {},
      );
    });
    try {
      const { session } = await clientTo(srv.port);
      const s = session.request(GET_FIELDS(), {}, { endStream: true });
      const failed = new Promise<Error>((resolve) => s.once('error', resolve));
      try {
        expect(await raw!.rstCode(1, 3000)).toBe(E.PROTOCOL_ERROR);
        expect(((await failed) as StreamError).errorCode).toBe(E.PROTOCOL_ERROR);
        expect(session.closed).toBe(false);
      } finally {
        session.destroy();
      }
    } finally {
      raw?.close();
      srv.server.close();
    }
  });

  it('SETTINGS_ACK is what makes a client usable; unacknowledged SETTINGS are answered (sanity)', async () => {
    let raw: RawH2 | undefined;
    const srv = await fakeServer((r) => (raw = r));
    try {
      const { session } = await clientTo(srv.port);
      expect(session.usable).toBe(true);
      await raw!.until(() => raw!.frames.some((f) => f.type === T.SETTINGS && f.flags & F.ACK));
      raw!.send(SETTINGS_ACK);
      session.destroy();
    } finally {
      raw?.close();
      srv.server.close();
    }
  });
});
