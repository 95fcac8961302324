/**
 * The gRPC origin (echo.proto): the service definition, a typed client for it, and a server that serves it.
 * The gRPC load engine and the tunnel tests import all three from here.
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { injectCpu } from '../inject-cpu.ts';
import { type Running, urlFor } from '../serve.ts';

/** Largest message either side accepts or sends (grpc-js receives at most 4 MiB by default): as /bytes/N. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Most replies one ServerStream call may ask for, so a typo cannot stream forever. */
export const MAX_STREAM_REPLIES = 100_000;

export interface EchoRequest {
  payload?: Uint8Array;
}
export interface EchoReply {
  /** Received replies carry a Buffer (proto-loader's bytes type); any Uint8Array may be sent. */
  payload: Buffer;
  index: number;
}
export interface StreamRequest {
  payload?: Uint8Array;
  count: number;
  intervalMs?: number;
}
export interface FailRequest {
  code: number;
  message?: string;
}
/** A message as it arrives: proto-loader fills in every default, and bytes fields are Buffers. */
type Received<T> = { [K in keyof T]-?: NonNullable<T[K]> extends Uint8Array ? Buffer : NonNullable<T[K]> };

const packageDefinition = protoLoader.loadSync(fileURLToPath(new URL('./echo.proto', import.meta.url)), {
  keepCase: false,
  longs: Number,
  defaults: true,
  bytes: Buffer,
});

/** The muxbench.origin.Echo service, ready for `server.addService` or `makeClientConstructor`. */
export const ECHO_SERVICE = packageDefinition['muxbench.origin.Echo'] as grpc.ServiceDefinition;

type UnaryCallback = (err: grpc.ServiceError | null, reply?: EchoReply) => void;

/** A grpc-js client for Echo (methods in lowerCamelCase, as grpc-js names them). */
export interface EchoClient extends grpc.Client {
  unary(request: EchoRequest, callback: UnaryCallback): grpc.ClientUnaryCall;
  unary(request: EchoRequest, metadata: grpc.Metadata, callback: UnaryCallback): grpc.ClientUnaryCall;
  unary(request: EchoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: UnaryCallback): grpc.ClientUnaryCall;
  serverStream(request: StreamRequest, metadata?: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<EchoReply>;
  fail(request: FailRequest, callback: UnaryCallback): grpc.ClientUnaryCall;
  fail(request: FailRequest, metadata: grpc.Metadata, callback: UnaryCallback): grpc.ClientUnaryCall;
  fail(request: FailRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: UnaryCallback): grpc.ClientUnaryCall;
}

const EchoClientConstructor = grpc.makeClientConstructor(ECHO_SERVICE, 'Echo');

/**
 * A client for `target`: the `http://host:port` URL of a ready line, or anything grpc-js takes
 * (`host:port`, `dns:…`, `ipv4:…`). Insecure; close it with `client.close()`.
 */
export function createEchoClient(target: string, options: grpc.ClientOptions = {}): EchoClient {
  return new EchoClientConstructor(grpcTarget(target), grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    ...options,
  }) as unknown as EchoClient;
}

/** grpc-js reads `http://host:port` as a DNS name, so URLs become `host:port` (port 80 spelled out). */
function grpcTarget(target: string): string {
  if (!/^https?:\/\//.test(target)) return target;
  const url = new URL(target);
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
}

// --- server ----------------------------------------------------------------------------------------

function unary(call: grpc.ServerUnaryCall<Received<EchoRequest>, EchoReply>, callback: grpc.sendUnaryData<EchoReply>): void {
  injectCpu();
  callback(null, { payload: call.request.payload, index: 0 });
}

async function serverStream(call: grpc.ServerWritableStream<Received<StreamRequest>, EchoReply>): Promise<void> {
  const { payload, count, intervalMs } = call.request;
  if (count > MAX_STREAM_REPLIES) {
    call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: `count ${count} exceeds the limit of ${MAX_STREAM_REPLIES}` });
    return;
  }
  // Cancellation (client gone, deadline, RST_STREAM) ends every wait below at once.
  const cancelled = new AbortController();
  call.once('cancelled', () => cancelled.abort());
  call.on('error', () => cancelled.abort());
  const { signal } = cancelled;
  try {
    for (let index = 0; index < count && !signal.aborted; index++) {
      if (index > 0 && intervalMs > 0) await sleep(intervalMs, undefined, { signal });
      if (!call.write({ payload, index })) await once(call, 'drain', { signal });
    }
  } catch (err) {
    if (signal.aborted) return; // AbortError from a wait: nobody is listening any more
    throw err;
  }
  if (!signal.aborted) call.end();
}

function fail(call: grpc.ServerUnaryCall<Received<FailRequest>, EchoReply>, callback: grpc.sendUnaryData<EchoReply>): void {
  const { code, message } = call.request;
  if (code >= 1 && code <= 16) return callback({ code, details: message });
  callback({ code: grpc.status.INVALID_ARGUMENT, details: `Fail: code ${code} is not a gRPC error status (1 to 16); message was '${message}'` });
}

/** The Echo handlers, for `server.addService(ECHO_SERVICE, echoServiceImplementation)`. */
export const echoServiceImplementation: grpc.UntypedServiceImplementation = {
  Unary: unary as grpc.UntypedHandleCall,
  ServerStream: ((call: grpc.ServerWritableStream<Received<StreamRequest>, EchoReply>) => {
    serverStream(call).catch((err: unknown) => call.emit('error', { code: grpc.status.INTERNAL, details: String(err) }));
  }) as grpc.UntypedHandleCall,
  Fail: fail as grpc.UntypedHandleCall,
};

/** Serves Echo on host:port without TLS; urls.grpc is its `http://host:port` address. */
export async function startGrpcEcho(host: string, port: number): Promise<Running> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  server.addService(ECHO_SERVICE, echoServiceImplementation);
  const bound = await new Promise<number>((resolve, reject) => {
    const address = urlFor('http', host, port).slice('http://'.length); // host:port, IPv6 in brackets
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, boundPort) => (err ? reject(err) : resolve(boundPort)));
  });
  return {
    urls: { grpc: urlFor('http', host, bound) },
    // Not tryShutdown: a slow ServerStream would hold shutdown open for as long as it runs.
    close: async () => server.forceShutdown(),
  };
}
