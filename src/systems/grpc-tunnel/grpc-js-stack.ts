/**
 * The grpc-js link stack: Connect calls on @grpc/grpc-js (node:http2 underneath). The edge is a grpc-js
 * server, each connector connection a grpc-js channel of its own with one bidi call. Kept beside the raw
 * stack to measure what the stack costs (`--link-stack grpc-js`).
 */
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { urlFor } from '../serve.ts';
import {
  type CallEvents,
  type CallFields,
  type ConnectServer,
  type Dialled,
  type DialOptions,
  type FieldLookup,
  GrpcStatus,
  type LinkCall,
  type LinkStack,
  type ServeOptions,
  tellClosed,
} from './call.ts';
import type { ChannelWindows } from './config.ts';
import { refusalError } from './handshake.ts';
import { CONNECT_PATH } from './protocol.ts';

const identity = (b: Buffer): Buffer => b;

/**
 * The service as grpc-js takes it. Identity (de)serializers: the link writes TunnelBatches it encoded
 * itself (protocol.ts says why).
 */
const TUNNEL_SERVICE: grpc.ServiceDefinition = {
  Connect: {
    path: CONNECT_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'connect',
  },
};

type DuplexCall = grpc.ClientDuplexStream<Buffer, Buffer> | grpc.ServerDuplexStream<Buffer, Buffer>;

/** A grpc-js call, either side; `dispose` frees what the side owns besides the call (the client's channel). */
class GrpcJsCall implements LinkCall {
  private events: CallEvents | null = null;
  private done = false;
  /** why the call ended before listen() */
  private endedEarly: string | null = null;

  constructor(
    private readonly call: DuplexCall,
    private readonly side: 'client' | 'server',
    private readonly dispose: () => void = () => {},
  ) {
    call.on('error', (err: Error) => this.ended(err.message));
    call.on('end', () => this.ended('the peer ended the call'));
    call.on('close', () => this.ended('the call closed'));
  }

  listen(events: CallEvents): void {
    this.events = events;
    if (this.endedEarly !== null) return events.closed(this.endedEarly);
    this.call.on('data', (batch: Buffer) => events.message(batch));
  }

  write(parts: readonly Buffer[], bytes: number, written: () => void): void {
    if (this.done) return;
    this.call.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes), () => written());
  }

  close(status: number, reason: string): void {
    this.finish(reason, status);
  }

  /** The call ended or failed by itself: a server sends nothing more on it, a client still frees its channel. */
  private ended(reason: string): void {
    this.finish(reason, null);
  }

  private finish(reason: string, status: number | null): void {
    if (this.done) return;
    this.done = true;
    if (this.side === 'client') {
      (this.call as grpc.ClientDuplexStream<Buffer, Buffer>).cancel();
    } else if (status !== null) {
      // grpc-js sends the status (trailers) once its pending write is out; an 'error' is how it takes one
      if (status === GrpcStatus.OK) this.call.end();
      else this.call.emit('error', { code: status, details: reason });
    }
    this.dispose();
    if (this.events === null) {
      this.endedEarly = reason;
      return;
    }
    tellClosed(this.events, reason);
  }
}

/** grpc-js metadata as plain fields (first value of each). */
function lookup(md: grpc.Metadata): FieldLookup {
  return (name) => {
    const v = md.get(name)[0];
    return v === undefined ? undefined : String(v);
  };
}

function toMetadata(fields: CallFields): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(fields)) md.set(k, v);
  return md;
}

/**
 * grpc-js 1.14 lets a *client* set its HTTP/2 windows (grpc-node.flow_control_window) but not a server.
 * The edge reaches its servers (the private `http2Servers` map) and sets both windows on every session:
 * SETTINGS_INITIAL_WINDOW_SIZE for the stream window, a connection WINDOW_UPDATE for the session window.
 */
function applyWindows(server: grpc.Server, windows: ChannelWindows, log: (m: string) => void): void {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map)) {
    log('cannot set the tunnel HTTP/2 windows: this grpc-js has no http2Servers map; Node defaults (64 KiB) apply');
    return;
  }
  for (const http2Server of servers.keys() as Iterable<Http2Server>) {
    http2Server.on('session', (session: ServerHttp2Session) => {
      session.settings({ initialWindowSize: windows.streamWindowBytes });
      const grow = (): void => {
        if (windows.sessionWindowBytes > 65_535 && !session.destroyed) session.setLocalWindowSize(windows.sessionWindowBytes);
      };
      if (session.socket?.readyState === 'open') grow();
      else session.once('connect', grow);
    });
  }
}

function bind(server: grpc.Server, host: string, port: number): Promise<number> {
  const address = urlFor('http', host, port).slice('http://'.length);
  return new Promise((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
}

async function serve(options: ServeOptions): Promise<ConnectServer> {
  const accept = (call: grpc.ServerDuplexStream<Buffer, Buffer>): void => {
    const peer = call.getPeer();
    const admission = options.admit(lookup(call.metadata), peer);
    if (!admission.accepted) {
      call.emit('error', { code: admission.status, details: admission.message });
      return;
    }
    call.sendMetadata(toMetadata(admission.answer));
    admission.attach(new GrpcJsCall(call, 'server'));
  };
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
  });
  server.addService(TUNNEL_SERVICE, { Connect: accept as grpc.UntypedHandleCall });
  const port = await bind(server, options.host, options.port);
  applyWindows(server, options.windows, options.log);
  return { port, close: async () => server.forceShutdown() };
}

function dial(options: DialOptions): Promise<Dialled> {
  const { edge, windows } = options;
  // A channel of its own per connection (a local subchannel pool), or grpc-js would share one HTTP/2
  // connection between all of them. No retries: grpc-js would buffer the stream's messages to replay them.
  const client = new grpc.Client(`${edge.hostname}:${edge.port}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
    // grpc-js 1.14 has one knob for both windows (SETTINGS_INITIAL_WINDOW_SIZE and the connection
    // window); with one stream per channel the tighter of the two is the window that applies.
    'grpc-node.flow_control_window': Math.min(windows.streamWindowBytes, windows.sessionWindowBytes),
    'grpc.use_local_subchannel_pool': 1,
    'grpc.enable_retries': 0,
  });
  const call = client.makeBidiStreamRequest(CONNECT_PATH, identity, identity, toMetadata(options.hello));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the edge did not accept the call within ${options.timeoutMs} ms`)), options.timeoutMs);
    const onAbort = (): void => fail(new Error('the connector is closing'));
    const settle = (): void => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      call.off('error', onError);
    };
    const fail = (err: Error): void => {
      settle();
      call.on('error', () => {});
      call.cancel();
      client.close();
      reject(err);
    };
    const onError = (err: grpc.ServiceError): void => fail(refusalError(err.code, err.details || err.message));
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });
    call.once('error', onError);
    call.once('metadata', (md: grpc.Metadata) => {
      settle();
      resolve({ call: new GrpcJsCall(call, 'client', () => client.close()), answer: lookup(md) });
    });
  });
}

export const GRPC_JS_STACK: LinkStack = { serve, dial };
