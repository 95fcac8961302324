/**
 * The gRPC origin's service (echo.proto): its definition, its messages' types and a typed grpc-js client.
 * The origin's server (src/systems/origin/grpc-echo.ts), the gRPC load engine and the tunnel tests use it.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** Largest message either side accepts or sends (grpc-js receives at most 4 MiB by default): as /bytes/N. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

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
export type Received<T> = { [K in keyof T]-?: NonNullable<T[K]> extends Uint8Array ? Buffer : NonNullable<T[K]> };

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
