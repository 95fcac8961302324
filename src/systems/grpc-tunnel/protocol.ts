/**
 * tunnel.proto in TypeScript: the Connect method's path, the TunnelMessage type and its codec.
 *
 * Batches are built and encoded here, before they are written, whatever the link stack: a message too
 * large for the peer is caught per request (one failed request) instead of by the stack (which would end
 * the whole stream, and every request on it, with RESOURCE_EXHAUSTED).
 */
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import type { Headers, StreamKind } from '../tunnel/types.ts';

const packageDefinition = protoLoader.loadSync(fileURLToPath(new URL('./tunnel.proto', import.meta.url)), {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: true,
  bytes: Buffer,
});

const connectMethod = (packageDefinition['muxbench.tunnel.Tunnel'] as protoLoader.ServiceDefinition).Connect!;
const serializeBatch = connectMethod.requestSerialize as (batch: { messages: TunnelMessage[] }) => Buffer;
const deserializeBatch = connectMethod.requestDeserialize as (bytes: Buffer) => { messages?: TunnelMessage[] };

/**
 * One TunnelMessage encoded as an element of TunnelBatch.messages (field tag, length, message): batches
 * are these elements concatenated, so each message is encoded, and its size known, on its own.
 */
export function encodeFramed(message: TunnelMessage): Buffer {
  return serializeBatch({ messages: [message] });
}

/** The messages of one TunnelBatch; throws on bytes that are not one. */
export function decodeBatch(bytes: Buffer): TunnelMessage[] {
  return deserializeBatch(bytes).messages ?? [];
}

/** `/muxbench.tunnel.Tunnel/Connect`: the HTTP/2 :path of the one call, whatever stack carries it. */
export const CONNECT_PATH = connectMethod.path;

export interface WireHeader {
  name: string;
  value: string;
}

export type WireKind = 'HTTP' | 'WEBSOCKET' | 'TCP';

export interface WireRequestHead {
  kind?: WireKind;
  method?: string;
  path?: string;
  authority?: string;
  headers?: WireHeader[];
  endStream?: boolean;
}

export interface WireResponseHead {
  status?: number;
  headers?: WireHeader[];
  endStream?: boolean;
}

/** One message on the Connect stream; `payload` names the field of the oneof that is set. */
export type TunnelMessage = { requestId?: number } & (
  | { payload: 'head'; head: WireRequestHead }
  | { payload: 'chunk'; chunk: { data?: Buffer } }
  | { payload: 'end'; end: Record<string, never> }
  | { payload: 'response'; response: WireResponseHead }
  | { payload: 'trailers'; trailers: { headers?: WireHeader[] } }
  | { payload: 'error'; error: { status?: number; message?: string } }
  | { payload: 'cancel'; cancel: { reason?: string } }
  | { payload: 'window'; window: { bytes?: number } }
);

const KIND_TO_WIRE: Record<StreamKind, WireKind> = { http: 'HTTP', websocket: 'WEBSOCKET', tcp: 'TCP' };
const WIRE_TO_KIND: Record<WireKind, StreamKind> = { HTTP: 'http', WEBSOCKET: 'websocket', TCP: 'tcp' };

export function kindToWire(kind: StreamKind): WireKind {
  return KIND_TO_WIRE[kind];
}

export function kindFromWire(kind: WireKind | undefined): StreamKind {
  return WIRE_TO_KIND[kind ?? 'HTTP'] ?? 'http';
}

/** Repeated name/value pairs; a header with several values becomes several pairs, in order. */
export function headersToWire(headers: Headers): WireHeader[] {
  const out: WireHeader[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const v of value) out.push({ name, value: v });
    else out.push({ name, value });
  }
  return out;
}

export function headersFromWire(list: WireHeader[] | undefined): Headers {
  const out: Headers = {};
  for (const { name, value } of list ?? []) {
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  return out;
}
