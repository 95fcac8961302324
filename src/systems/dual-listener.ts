/**
 * HTTP/1.1 and h2c (prior knowledge) on one port. Node's HTTP/2 server speaks only HTTP/2 on cleartext
 * sockets, so a small net.Server reads the first bytes of each connection: the HTTP/2 connection preface
 * goes to the http2 server, anything else to the http1 server (with its bytes put back).
 */
import type { Server as Http1Server } from 'node:http';
import type { Http2Server } from 'node:http2';
import { createServer as createNetServer, type Socket } from 'node:net';
import { closeServer, listen, trackConnections } from './serve.ts';

/** RFC 9113 §3.4: every HTTP/2 connection starts with these 24 bytes. */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
/** A client that sends nothing for this long is neither protocol's problem any more. */
const SNIFF_TIMEOUT_MS = 10_000;

export interface DualListener {
  port: number;
  close(): Promise<void>;
}

/** Where HTTP/2 connections go: a node:http2 server, or a function that takes the socket (raw sessions). */
export type H2Acceptor = Http2Server | ((socket: Socket) => void);

/**
 * Listens on host:port and hands each connection to `http1` or `http2`. Both servers are created by the
 * caller (with their own handlers and settings) and must not listen themselves.
 */
export async function listenDual(http1: Http1Server, http2: H2Acceptor, host: string, port: number): Promise<DualListener> {
  const sessions = typeof http2 === 'function' ? null : trackConnections(http2);
  const front = trackConnections(
    createNetServer((socket) => {
      socket.setNoDelay(true);
      sniff(socket, http1, http2);
    }),
  );
  const bound = await listen(front, host, port);
  return {
    port: bound,
    close: async () => {
      http1.closeAllConnections();
      await Promise.all([closeServer(front), sessions ? closeServer(sessions) : undefined]);
    },
  };
}

function sniff(socket: Socket, http1: Http1Server, http2: H2Acceptor): void {
  let seen: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), SNIFF_TIMEOUT_MS);
  const onError = (): void => clearTimeout(timer);
  const onData = (chunk: Buffer): void => {
    seen = seen.length ? Buffer.concat([seen, chunk]) : chunk;
    const n = Math.min(seen.length, H2_PREFACE.length);
    const isPrefix = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    if (isPrefix && seen.length < H2_PREFACE.length) return; // could still be HTTP/2: wait for more
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('error', onError);
    // Put the bytes back and leave the socket paused: both servers read what is buffered before they
    // start reading the socket themselves (node:http2 since nodejs/node#35475).
    socket.pause();
    socket.unshift(seen);
    if (!isPrefix) {
      http1.emit('connection', socket);
      socket.resume();
    } else if (typeof http2 === 'function') http2(socket);
    else http2.emit('connection', socket);
  };
  socket.on('data', onData);
  socket.on('error', onError);
}
