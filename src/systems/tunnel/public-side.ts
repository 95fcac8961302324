/**
 * The public side of a tunnel edge: HTTP/1.1 and h2c on one port (gRPC included, trailers carried),
 * WebSocket by HTTP/1.1 Upgrade or by RFC 8441 extended CONNECT, and a TCP port mapped through the
 * tunnel. Every public request becomes one exchange on the TunnelBackend; how the backend carries it is
 * the tunnel design's business. HTTP/1.1 is node:http; h2c connections go to public-h2.ts.
 */
import { createHash } from 'node:crypto';
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { listenDual } from '../dual-listener.ts';
import { closeServer, listen, trackConnections, urlFor } from '../serve.ts';
import { endToEnd, withoutWebSocketHandshake } from './headers.ts';
import { forwardCall, unavailable } from './public-forward.ts';
import { servePublicH2 } from './public-h2.ts';
import type { PublicLimits } from './public-limits.ts';
import { splice } from './splice.ts';
import type { Headers, TunnelBackend, TunnelExchange } from './types.ts';

type Req = IncomingMessage;
type Res = ServerResponse;

export interface PublicSideOptions {
  host: string;
  port: number;
  tcpPort: number;
  backend: TunnelBackend;
  log: (message: string) => void;
  /** bounds on each public h2c connection (src/systems/tunnel/public-limits.ts); defaults where absent */
  limits?: Partial<PublicLimits>;
}

export interface PublicSide {
  urls: { public: string; tcp: string };
  close(): Promise<void>;
}

/** RFC 6455 §4.2.2: the accept value proves the server read this handshake. */
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export async function startPublicSide(options: PublicSideOptions): Promise<PublicSide> {
  const { backend } = options;
  const onRequest = (req: Req, res: Res): void => {
    forwardHttp(req, res, backend).catch((err: unknown) => options.log(`public request failed: ${String(err)}`));
  };
  const http1 = createHttp1Server({ keepAliveTimeout: 60_000 }, onRequest);
  http1.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgradeWebSocket(req, socket, head, backend).catch((err: unknown) => {
      options.log(`websocket upgrade failed: ${String(err)}`);
      socket.destroy();
    });
  });
  http1.on('clientError', (_err, socket: Duplex) => socket.destroy());
  const dual = await listenDual(http1, (socket) => servePublicH2(socket, backend, options.log, options.limits), options.host, options.port);

  // allowHalfOpen: a client's FIN must travel through the tunnel, not close the socket under the reply.
  const tcp = trackConnections(
    createNetServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => {});
      forwardTcp(socket, backend).catch((err: unknown) => {
        options.log(`tcp connection failed: ${String(err)}`);
        socket.destroy();
      });
    }),
  );
  const tcpPort = await listen(tcp, options.host, options.tcpPort);

  return {
    urls: { public: urlFor('http', options.host, dual.port), tcp: urlFor('tcp', options.host, tcpPort) },
    close: async () => {
      await Promise.all([dual.close(), closeServer(tcp)]);
    },
  };
}

function authorityOf(req: Req): string {
  return String(req.headers[':authority'] ?? req.headers.host ?? '');
}

function requestHasBody(req: Req): boolean {
  return req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
}

function replyText(res: Res, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${message}\n`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function forwardHttp(req: Req, res: Res, backend: TunnelBackend): Promise<void> {
  req.on('error', () => {});
  res.on('error', () => {});
  return forwardCall(
    {
      head: {
        kind: 'http',
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        authority: authorityOf(req),
        headers: endToEnd(req.headers),
        hasBody: requestHasBody(req),
      },
      body: req,
      out: res,
      onGone: (fn) => res.on('close', fn),
      replyText: (status, message) => replyText(res, status, message),
      respond: (status, headers, endStream) => {
        if (endStream) {
          // Head only: set it and end (a gRPC trailers-only reply stays one HEADERS frame over HTTP/2).
          res.statusCode = status;
          for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
          res.end();
          return;
        }
        res.writeHead(status, headers as Record<string, string | string[]>);
      },
      end: (trailers) => {
        if (trailers) res.addTrailers(trailers as Record<string, string>);
        res.end();
      },
    },
    backend,
  );
}

function wsAccept(key: string): string {
  return createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64');
}

function responseExtras(headers: Headers): string {
  let out = '';
  for (const name of ['sec-websocket-protocol', 'sec-websocket-extensions']) {
    const v = headers[name];
    if (v !== undefined) out += `${name}: ${Array.isArray(v) ? v.join(', ') : v}\r\n`;
  }
  return out;
}

function rawReply(socket: Socket, status: number, message: string): void {
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${status === 101 ? 'Switching Protocols' : 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** A WebSocket client on HTTP/1.1: answer its Upgrade ourselves, carry the frames through the tunnel. */
async function upgradeWebSocket(req: IncomingMessage, socket: Socket, head: Buffer, backend: TunnelBackend): Promise<void> {
  socket.on('error', () => {});
  const key = req.headers['sec-websocket-key'];
  if (String(req.headers.upgrade).toLowerCase() !== 'websocket' || typeof key !== 'string') {
    return rawReply(socket, 400, 'only WebSocket upgrades are supported (Upgrade: websocket with a Sec-WebSocket-Key)');
  }
  let ex: TunnelExchange;
  try {
    ex = await backend.open(
      {
        kind: 'websocket',
        method: 'CONNECT',
        path: req.url ?? '/',
        authority: authorityOf(req),
        headers: withoutWebSocketHandshake(endToEnd(req.headers)),
        hasBody: true,
      },
      {
        get gone() {
          return socket.destroyed;
        },
      },
    );
  } catch (err) {
    const [status, message] = unavailable(err);
    return rawReply(socket, status, message);
  }
  if (socket.destroyed) return ex.abort('the public client went away before its tunnel stream opened');
  let spliced = false; // from then on splice() ties the two ends together
  socket.once('close', () => {
    if (!spliced) ex.abort('the public client went away');
  });
  let response;
  try {
    response = await ex.response;
  } catch (err) {
    const [status, message] = unavailable(err);
    return rawReply(socket, status, message);
  }
  if (response.status !== 200) {
    ex.abort('origin refused the WebSocket');
    return rawReply(socket, response.status, `the origin refused the WebSocket with status ${response.status}`);
  }
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${wsAccept(key)}\r\n${responseExtras(response.headers)}\r\n`,
  );
  if (head.length > 0) ex.stream.write(head);
  spliced = true;
  splice(socket, ex.stream);
}

async function forwardTcp(socket: Socket, backend: TunnelBackend): Promise<void> {
  socket.pause();
  const ex = await backend.open(
    { kind: 'tcp', method: 'CONNECT', path: '', authority: 'tcp', headers: {}, hasBody: true },
    {
      get gone() {
        return socket.destroyed;
      },
    },
  );
  if (socket.destroyed) return ex.abort('the TCP client went away before its tunnel stream opened');
  let spliced = false;
  socket.once('close', () => {
    if (!spliced) ex.abort('the TCP client went away');
  });
  const response = await ex.response;
  if (response.status !== 200) {
    ex.abort('origin refused the TCP connection');
    socket.destroy();
    return;
  }
  socket.resume();
  spliced = true;
  splice(socket, ex.stream);
}
