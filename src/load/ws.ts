/**
 * WebSocket engine (ws): `connections` sockets; each request is one binary message that must come back
 * byte for byte. Messages on one socket come back in order, so replies are matched first in, first out.
 */
import WebSocket from 'ws';
import type { Requester } from './types.ts';

export interface WsRequestSpec {
  url: string;
  payload: Uint8Array;
  connections: number;
}

/** frame header (≤ 14 bytes with the mask) */
const FRAME_OVERHEAD_BYTES = 14;

type Done = (errorKind: string | null, bytesIn: number) => void;

interface Conn {
  ws: WebSocket;
  open: boolean;
  waiting: Done[];
  /** sends made before the socket opened */
  backlog: number;
}

export function wsRequester(spec: WsRequestSpec): Requester {
  const payload = Buffer.from(spec.payload);
  const conns: Conn[] = [];
  let closing = false;
  const fail = (c: Conn, kind: string): void => {
    const waiting = c.waiting.splice(0);
    for (const d of waiting) d(kind, 0);
  };
  const connect = (): Conn => {
    const ws = new WebSocket(spec.url, { perMessageDeflate: false });
    const c: Conn = { ws, open: false, waiting: [], backlog: 0 };
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => {
      c.open = true;
      for (; c.backlog > 0; c.backlog--) ws.send(payload);
    });
    ws.on('message', (data: Buffer) => {
      const d = c.waiting.shift();
      if (d) d(Buffer.compare(data, payload) === 0 ? null : 'wrong-body', data.length);
    });
    ws.on('error', () => fail(c, 'connection'));
    ws.on('close', () => {
      fail(c, 'connection');
      const i = conns.indexOf(c);
      if (i >= 0 && !closing) conns[i] = connect();
    });
    return c;
  };
  for (let i = 0; i < Math.max(1, spec.connections); i++) conns.push(connect());
  let next = 0;
  return {
    bytesOutPerRequest: payload.length + FRAME_OVERHEAD_BYTES,
    send(done) {
      const c = conns[next++ % conns.length]!;
      c.waiting.push(done);
      if (c.open) c.ws.send(payload);
      else c.backlog++;
    },
    async close() {
      closing = true;
      for (const c of conns) c.ws.terminate();
    },
  };
}
