/**
 * Registration on the Connect call, in metadata: the connector's call carries its token, its name and its
 * limits; the edge accepts by sending its own limits as the call's initial metadata (before any message),
 * or refuses by ending the call — UNAUTHENTICATED for a wrong token.
 */
import * as grpc from '@grpc/grpc-js';
import type { LinkLimits } from './config.ts';
import { HandshakeError } from './errors.ts';

const TOKEN = 'x-muxbench-token';
const CONNECTOR = 'x-muxbench-connector';
const INDEX = 'x-muxbench-index';
const MAX_MESSAGE_BYTES = 'x-muxbench-max-message-bytes';
const MAX_INFLIGHT_BYTES = 'x-muxbench-max-inflight-bytes';

export interface ConnectHello extends LinkLimits {
  token: string;
  connector: string;
  index: number;
}

export function helloMetadata(hello: ConnectHello): grpc.Metadata {
  const md = limitsMetadata(hello);
  md.set(TOKEN, hello.token);
  md.set(CONNECTOR, hello.connector);
  md.set(INDEX, String(hello.index));
  return md;
}

/** The connector's hello; the token is '' when missing (the caller refuses it like a wrong one). */
export function parseHello(md: grpc.Metadata): ConnectHello {
  return {
    token: text(md, TOKEN) ?? '',
    connector: text(md, CONNECTOR) ?? 'unnamed',
    index: integer(md, INDEX, 0),
    ...parseLimits(md),
  };
}

/** What the edge sends to accept a connection: its own limits. */
export function limitsMetadata(limits: LinkLimits): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(MAX_MESSAGE_BYTES, String(limits.maxMessageBytes));
  md.set(MAX_INFLIGHT_BYTES, String(limits.maxInflightBytes));
  return md;
}

export function parseLimits(md: grpc.Metadata): LinkLimits {
  return { maxMessageBytes: integer(md, MAX_MESSAGE_BYTES, 1), maxInflightBytes: integer(md, MAX_INFLIGHT_BYTES, 1) };
}

function text(md: grpc.Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return v === undefined ? undefined : String(v);
}

function integer(md: grpc.Metadata, key: string, min: number): number {
  const raw = text(md, key);
  const n = Number(raw);
  if (raw === undefined || !Number.isSafeInteger(n) || n < min) throw new HandshakeError(`metadata ${key} must be an integer >= ${min}, got '${raw ?? '(missing)'}'`);
  return n;
}
