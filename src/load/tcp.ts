/**
 * TCP engine (node:net) for echo services: `connections` sockets; each request writes the payload and
 * waits for as many bytes back. Bytes come back in order on a socket, so requests are matched first in,
 * first out and every byte is compared.
 */
import { connect, type Socket } from 'node:net';
import type { Requester } from './types.ts';

export interface TcpRequestSpec {
  url: string;
  payload: Uint8Array;
  connections: number;
}

type Done = (errorKind: string | null, bytesIn: number) => void;

interface Conn {
  socket: Socket;
  waiting: Done[];
  /** bytes received towards the request at the head of `waiting` */
  have: number;
  wrong: boolean;
}

export function tcpRequester(spec: TcpRequestSpec): Requester {
  const url = new URL(spec.url);
  const payload = Buffer.from(spec.payload);
  if (payload.length === 0) throw new RangeError('tcp echo needs a payload of at least one byte');
  const conns: Conn[] = [];
  let closing = false;
  const open = (): Conn => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    socket.setNoDelay(true);
    const c: Conn = { socket, waiting: [], have: 0, wrong: false };
    socket.on('data', (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length && c.waiting.length > 0) {
        const take = Math.min(payload.length - c.have, chunk.length - at);
        if (!c.wrong && payload.compare(chunk, at, at + take, c.have, c.have + take) !== 0) c.wrong = true;
        c.have += take;
        at += take;
        if (c.have === payload.length) {
          const d = c.waiting.shift()!;
          const kind = c.wrong ? 'wrong-body' : null;
          c.have = 0;
          c.wrong = false;
          d(kind, payload.length);
        }
      }
    });
    const fail = (): void => {
      for (const d of c.waiting.splice(0)) d('connection', 0);
      const i = conns.indexOf(c);
      if (i >= 0 && !closing) conns[i] = open();
    };
    socket.on('error', () => {});
    socket.on('close', fail);
    return c;
  };
  for (let i = 0; i < Math.max(1, spec.connections); i++) conns.push(open());
  let next = 0;
  return {
    bytesOutPerRequest: payload.length,
    send(done) {
      const c = conns[next++ % conns.length]!;
      c.waiting.push(done);
      c.socket.write(payload);
    },
    async close() {
      closing = true;
      for (const c of conns) c.socket.destroy();
    },
  };
}
