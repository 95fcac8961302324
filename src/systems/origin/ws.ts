/** The WebSocket origin: every message comes back with the same type (text stays text, binary stays binary). */
import { createServer as createHttpServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { closeServer, listen, type Running, trackConnections, urlFor } from '../serve.ts';

/**
 * Echoes queued but not yet sent past which the socket stops being read, so a client that floods without
 * reading replies fills its own TCP window instead of this process's memory.
 */
const PAUSE_ABOVE_BYTES = 1024 * 1024;

function echoMessages(ws: WebSocket): void {
  ws.on('error', ignore); // a client that vanishes mid-frame; ws closes the socket itself
  ws.on('message', (data, isBinary) => {
    ws.send(data, { binary: isBinary }, () => {
      if (ws.isPaused && ws.bufferedAmount < PAUSE_ABOVE_BYTES) ws.resume();
    });
    if (ws.bufferedAmount >= PAUSE_ABOVE_BYTES) ws.pause();
  });
}

function ignore(): void {}

/** Serves the WebSocket echo on host:port (any path); urls.ws is its `ws://host:port` address. */
export async function startWsEcho(host: string, port: number): Promise<Running> {
  const http = trackConnections(
    createHttpServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
      res.end('this is a WebSocket echo: send an Upgrade request\n');
    }),
  );
  const wss = new WebSocketServer({ server: http });
  wss.on('error', ignore); // re-emitted listen errors; listen() below reports those
  wss.on('connection', echoMessages);
  const bound = await listen(http, host, port);
  return {
    urls: { ws: urlFor('ws', host, bound) },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await Promise.all([new Promise<void>((resolve) => wss.close(() => resolve())), closeServer(http)]);
    },
  };
}
