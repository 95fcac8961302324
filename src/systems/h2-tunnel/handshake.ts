/**
 * The connector's hello on a fresh tunnel connection, before any HTTP/2: one line
 * `MUXBENCH-TUNNEL/1 {json}\n` carrying the token and the connection's knobs; the edge answers `OK\n` or
 * `ERR reason\n` and closes. After OK the edge speaks HTTP/2 as the client on the same socket.
 */
import type { Socket } from 'node:net';
import type { ConnectionKnobs } from './config.ts';

export const HELLO_PREFIX = 'MUXBENCH-TUNNEL/1 ';
const MAX_LINE_BYTES = 4096;

export interface Hello extends ConnectionKnobs {
  token: string;
  connector: string;
  index: number;
}

export function helloLine(hello: Hello): string {
  return `${HELLO_PREFIX}${JSON.stringify(hello)}\n`;
}

/**
 * Reads one line from a socket without consuming anything after it: the bytes that follow are put back
 * (HTTP/2 may start right behind the line). Rejects on timeout, overlong line or early close.
 */
export function readLine(socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = Buffer.alloc(0);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      seen = Buffer.concat([seen, chunk]);
      const nl = seen.indexOf(0x0a);
      if (nl < 0) {
        if (seen.length > MAX_LINE_BYTES) {
          cleanup();
          reject(new Error(`handshake line longer than ${MAX_LINE_BYTES} bytes`));
        }
        return;
      }
      cleanup();
      socket.pause();
      const rest = seen.subarray(nl + 1);
      if (rest.length > 0) socket.unshift(rest);
      resolve(seen.subarray(0, nl).toString('utf8'));
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('connection closed during the handshake'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no handshake line within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
  });
}

export function parseHello(line: string): Hello {
  if (!line.startsWith(HELLO_PREFIX)) throw new Error('not a muxbench tunnel hello');
  const h = JSON.parse(line.slice(HELLO_PREFIX.length)) as Partial<Hello>;
  const num = (v: unknown, name: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`hello: ${name} must be a non-negative integer`);
    return v;
  };
  if (typeof h.token !== 'string') throw new Error('hello: token missing');
  return {
    token: h.token,
    connector: String(h.connector ?? 'unnamed'),
    index: num(h.index, 'index'),
    maxConcurrentStreams: num(h.maxConcurrentStreams, 'maxConcurrentStreams'),
    streamWindowBytes: num(h.streamWindowBytes, 'streamWindowBytes'),
    sessionWindowBytes: num(h.sessionWindowBytes, 'sessionWindowBytes'),
    maxSessionMemoryMb: num(h.maxSessionMemoryMb, 'maxSessionMemoryMb'),
  };
}
