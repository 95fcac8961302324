/**
 * The raw link stack (the default): Connect calls on muxbench's own HTTP/2 session (src/h2), the stack the
 * h2 tunnel's link runs on, so the two tunnels differ by design and not by HTTP/2 implementation. On the
 * wire it is the same gRPC call grpc-js makes — POST to tunnel.proto's Connect path, content-type
 * application/grpc, te: trailers, length-prefixed TunnelBatches both ways, grpc-status trailers at the
 * end — so either side interoperates with a grpc-js peer.
 *
 * One TCP connection carries one Connect call: the edge advertises one concurrent stream and ends the
 * session with the call (GOAWAY), the connector redials a fresh connection for the next one.
 *
 * The peer is hostile until its token checked out, and only bounded afterwards: the edge's session takes
 * the tunnel leg's limits (src/systems/tunnel/session-limits.ts) plus one stream; a connection that has no
 * accepted call within HANDSHAKE_TIMEOUT_MS, or whose call was refused, is closed; a gRPC message longer
 * than --max-message-bytes ends the call (RESOURCE_EXHAUSTED) before any of it is held (the decoder keeps
 * at most one message's received bytes); and no exception leaves the session's socket handler.
 */
import { createServer as createNetServer, connect as netConnect, type Socket } from 'node:net';
import { ErrorCode } from '../../h2/errors.ts';
import { type H2Stream, type HeaderFields, H2Session } from '../../h2/session.ts';
import { decodeGrpcStatusMessage, encodeGrpcStatusMessage, GrpcMessageDecoder, frameGrpcMessage, WireError } from '../../wire/index.ts';
import { closeServer, listen, trackConnections } from '../serve.ts';
import { TUNNEL_SESSION_LIMITS } from '../tunnel/session-limits.ts';
import {
  type CallEvents,
  type CallFields,
  type ConnectServer,
  type Dialled,
  type DialOptions,
  GrpcStatus,
  type LinkCall,
  type LinkStack,
  type ServeOptions,
  tellClosed,
} from './call.ts';
import { refusalError } from './handshake.ts';
import { CONNECT_PATH } from './protocol.ts';

/** How long a connection may go without an accepted Connect call (the connector's own dial timeout). */
const HANDSHAKE_TIMEOUT_MS = 5000;
/** How long a closed call's trailers may wait for a peer that does not read before its connection ends. */
const CLOSE_GRACE_MS = 2000;
const GRPC_CONTENT_TYPE = 'application/grpc';

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** gRPC's content types: application/grpc, optionally +proto / +json / ;params. */
function isGrpcContentType(v: string | undefined): boolean {
  return v !== undefined && (v === GRPC_CONTENT_TYPE || v.startsWith(`${GRPC_CONTENT_TYPE}+`) || v.startsWith(`${GRPC_CONTENT_TYPE};`));
}

/** The Connect call on one H2Stream, either side; its session carries nothing else. */
export class RawCall implements LinkCall {
  private events: CallEvents | null = null;
  private done = false;
  /** why the call ended before listen() */
  private endedEarly: string | null = null;
  /** client: the status the edge's trailers carried */
  private statusReason: string | null = null;
  private readonly decoder: GrpcMessageDecoder;
  private readonly other: string;

  constructor(
    readonly stream: H2Stream,
    readonly session: H2Session,
    private readonly side: 'client' | 'server',
    maxMessageBytes: number,
  ) {
    this.decoder = new GrpcMessageDecoder(maxMessageBytes);
    this.other = side === 'server' ? 'the connector' : 'the edge';
    // Once the status arrived it is the reason, whatever the connection does next.
    stream.on('error', (err: Error) => this.ended(this.statusReason ?? `the call failed: ${err.message}`));
    stream.on('trailers', (t: HeaderFields) => {
      const status = first(t['grpc-status']) ?? '(none)';
      const message = first(t['grpc-message']);
      this.statusReason = `${this.other} ended the call with grpc-status ${status}${message ? `: ${decodeGrpcStatusMessage(message)}` : ''}`;
    });
    stream.on('end', () => this.ended(this.statusReason ?? `${this.other} ended the call${side === 'client' ? ' without a grpc-status' : ''}`));
    stream.on('close', () => this.ended(this.statusReason ?? 'the call closed'));
  }

  listen(events: CallEvents): void {
    this.events = events;
    if (this.endedEarly !== null) return events.closed(this.endedEarly);
    this.stream.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  write(parts: readonly Buffer[], bytes: number, written: () => void): void {
    if (this.done) return;
    this.stream.write(frameGrpcMessage(parts, bytes), () => written());
  }

  close(status: number, reason: string): void {
    if (this.done) return;
    this.done = true;
    const s = this.stream;
    if (this.side === 'server') {
      if (s.open && !s.writableEnded) {
        s.endWithTrailers({ 'grpc-status': String(status), 'grpc-message': encodeGrpcStatusMessage(reason) });
        // Once the status is out the rest of the client's stream is not wanted (RST_STREAM NO_ERROR).
        s.once('finish', () => s.close(ErrorCode.NO_ERROR));
      }
      this.session.shutdown();
      setTimeout(() => this.session.destroy(), CLOSE_GRACE_MS).unref();
    } else {
      s.close(ErrorCode.CANCEL);
      this.session.destroy();
    }
    if (this.events === null) {
      this.endedEarly = reason;
      return;
    }
    tellClosed(this.events, reason);
  }

  /** The stream ended or failed by itself: the status a server still owes is OK (the peer is gone or done). */
  private ended(reason: string): void {
    this.close(GrpcStatus.OK, reason);
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    let messages: Buffer[];
    try {
      messages = this.decoder.write(chunk);
    } catch (err) {
      const tooLarge = err instanceof WireError && err.code === 'MUX_ERR_FRAME_TOO_LARGE';
      const why = err instanceof Error ? err.message : String(err);
      return this.close(
        tooLarge ? GrpcStatus.RESOURCE_EXHAUSTED : GrpcStatus.INTERNAL,
        `${this.other}'s message was refused: ${why}${tooLarge ? ' (--max-message-bytes)' : ''}`,
      );
    }
    for (const m of messages) {
      if (this.done) return;
      try {
        this.events!.message(m);
      } catch (err) {
        return this.close(GrpcStatus.INTERNAL, `a message could not be handled: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}

/** A refusal as gRPC sends it when nothing else was sent: a trailers-only response. */
function refuse(stream: H2Stream, status: number, message: string): void {
  stream.respond(
    200,
    { 'content-type': GRPC_CONTENT_TYPE, 'grpc-status': String(status), 'grpc-message': encodeGrpcStatusMessage(message) },
    { endStream: true },
  );
  stream.close(ErrorCode.NO_ERROR);
}

async function serve(options: ServeOptions): Promise<ConnectServer> {
  const sessions = new Set<H2Session>();
  const accept = (socket: Socket): void => {
    socket.on('error', () => {});
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    let call: RawCall | null = null;
    const timer = setTimeout(() => {
      if (call === null) session.destroy(new Error(`no accepted Connect call within ${HANDSHAKE_TIMEOUT_MS} ms`));
    }, HANDSHAKE_TIMEOUT_MS);
    const session: H2Session = new H2Session(socket, {
      role: 'server',
      ...TUNNEL_SESSION_LIMITS,
      // one Connect call per connection: a peer gets no more streams than that, before or after its token
      maxConcurrentStreams: 1,
      streamWindowBytes: options.windows.streamWindowBytes,
      sessionWindowBytes: options.windows.sessionWindowBytes,
      onStream: (stream, headers) => {
        stream.on('error', () => {});
        if (call !== null) return stream.close(ErrorCode.REFUSED_STREAM);
        // A refused call ends its connection: a new try is a new connection.
        const isConnect = headers[':method'] === 'POST' && headers[':path'] === CONNECT_PATH;
        if (!isGrpcContentType(first(headers['content-type']))) {
          stream.respond(415, { 'content-type': 'text/plain; charset=utf-8' }, { endStream: true });
          stream.close(ErrorCode.NO_ERROR);
          return session.shutdown();
        }
        if (!isConnect) {
          refuse(stream, GrpcStatus.UNIMPLEMENTED, `this edge serves only POST ${CONNECT_PATH}`);
          return session.shutdown();
        }
        const admission = options.admit((name) => first(headers[name]), peer);
        if (!admission.accepted) {
          refuse(stream, admission.status, admission.message);
          return session.shutdown();
        }
        clearTimeout(timer);
        stream.respond(200, { 'content-type': GRPC_CONTENT_TYPE, ...admission.answer });
        call = new RawCall(stream, session, 'server', options.maxMessageBytes);
        admission.attach(call);
      },
      onClose: () => {
        clearTimeout(timer);
        sessions.delete(session);
      },
    });
    sessions.add(session);
  };
  const server = trackConnections(createNetServer(accept));
  const port = await listen(server, options.host, options.port);
  return {
    port,
    close: async () => {
      // Calls closed just before this wrote their trailers in a later tick: let them, then end everything.
      await new Promise((resolve) => setImmediate(resolve));
      for (const s of [...sessions]) s.destroy();
      await closeServer(server);
    },
  };
}

function dial(options: DialOptions): Promise<Dialled> {
  const { edge, windows } = options;
  const authority = `${edge.hostname}:${edge.port}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    let session: H2Session | null = null;
    const socket = netConnect({ host: edge.hostname, port: Number(edge.port) });
    const timer = setTimeout(() => fail(new Error(`the edge did not accept the call within ${options.timeoutMs} ms`)), options.timeoutMs);
    const onAbort = (): void => fail(new Error('the connector is closing'));
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      return true;
    };
    const fail = (err: Error): void => {
      if (!settle()) return;
      session?.destroy();
      socket.destroy();
      reject(err);
    };
    socket.on('error', (err) => fail(err));
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      const s = new H2Session(socket, {
        role: 'client',
        ...TUNNEL_SESSION_LIMITS,
        streamWindowBytes: windows.streamWindowBytes,
        sessionWindowBytes: windows.sessionWindowBytes,
        onClose: (reason) => fail(new Error(`the tunnel connection closed before the edge accepted the call${reason ? ` (${reason.message})` : ''}`)),
      });
      session = s;
      const fields: CallFields = { 'content-type': GRPC_CONTENT_TYPE, te: 'trailers', 'user-agent': 'muxbench-grpc-tunnel (raw link stack)', ...options.hello };
      const stream = s.request(
        [
          [':method', 'POST'],
          [':scheme', 'http'],
          [':path', CONNECT_PATH],
          [':authority', authority],
        ],
        fields,
      );
      stream.on('error', () => {});
      stream.once('close', () => fail(new Error('the edge reset the Connect call before accepting it')));
      stream.once('response', (headers: HeaderFields, endStream: boolean) => {
        const status = headers[':status'];
        const grpcStatus = first(headers['grpc-status']);
        if (status !== '200' || !isGrpcContentType(first(headers['content-type']))) {
          return fail(
            new Error(
              `the edge answered Connect with HTTP ${String(status)} and content-type '${first(headers['content-type']) ?? ''}', not a gRPC call (is it a grpc-edge?)`,
            ),
          );
        }
        if (endStream || grpcStatus !== undefined) {
          // trailers-only: a refusal
          return fail(refusalError(Number(grpcStatus ?? GrpcStatus.UNAVAILABLE), decodeGrpcStatusMessage(first(headers['grpc-message']) ?? 'no reason given')));
        }
        if (!settle()) return;
        resolve({ call: new RawCall(stream, s, 'client', options.maxMessageBytes), answer: (name) => first(headers[name]) });
      });
    });
  });
}

export const RAW_STACK: LinkStack = { serve, dial };
