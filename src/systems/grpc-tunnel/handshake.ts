/**
 * Registration on the Connect call, in metadata: the connector's call carries its token, its name, its
 * link stack and its limits; the edge accepts by sending its own limits as the call's initial metadata
 * (before any message), or refuses with a trailers-only status — UNAUTHENTICATED for a wrong token,
 * FAILED_PRECONDITION for a connector on another link stack. Plain fields: each stack turns them into its
 * own metadata (grpc-js Metadata, HTTP/2 header fields).
 */
import { type CallFields, type FieldLookup, GrpcStatus } from './call.ts';
import { LINK_STACKS, type LinkLimits, type LinkStackName } from './config.ts';
import { ConnectorAuthError, ConnectorConfigError, HandshakeError } from './errors.ts';

const TOKEN = 'x-muxbench-token';
const CONNECTOR = 'x-muxbench-connector';
const INDEX = 'x-muxbench-index';
const LINK_STACK = 'x-muxbench-link-stack';
const MAX_MESSAGE_BYTES = 'x-muxbench-max-message-bytes';
const MAX_INFLIGHT_BYTES = 'x-muxbench-max-inflight-bytes';
/**
 * What a hello without x-muxbench-link-stack means: connectors from before the raw stack existed all ran
 * grpc-js, so an edge on another stack refuses them by name instead of serving a mixed pair.
 */
const LINK_STACK_OF_OLD_CONNECTORS: LinkStackName = 'grpc-js';

export interface ConnectHello extends LinkLimits {
  token: string;
  connector: string;
  index: number;
  linkStack: LinkStackName;
}

export function helloFields(hello: ConnectHello): CallFields {
  return {
    ...limitsFields(hello),
    [TOKEN]: hello.token,
    [CONNECTOR]: hello.connector,
    [INDEX]: String(hello.index),
    [LINK_STACK]: hello.linkStack,
  };
}

/** The connector's hello; the token is '' when missing (the caller refuses it like a wrong one). */
export function parseHello(get: FieldLookup): ConnectHello {
  const linkStack = get(LINK_STACK) ?? LINK_STACK_OF_OLD_CONNECTORS;
  if (!(LINK_STACKS as readonly string[]).includes(linkStack))
    throw new HandshakeError(`metadata ${LINK_STACK} must be one of ${LINK_STACKS.join(', ')}, got '${linkStack}'`);
  return {
    token: get(TOKEN) ?? '',
    connector: get(CONNECTOR) ?? 'unnamed',
    index: integer(get, INDEX, 0),
    linkStack: linkStack as LinkStackName,
    ...parseLimits(get),
  };
}

/** What the edge sends to accept a connection: its own limits. */
export function limitsFields(limits: LinkLimits): CallFields {
  return { [MAX_MESSAGE_BYTES]: String(limits.maxMessageBytes), [MAX_INFLIGHT_BYTES]: String(limits.maxInflightBytes) };
}

export function parseLimits(get: FieldLookup): LinkLimits {
  return { maxMessageBytes: integer(get, MAX_MESSAGE_BYTES, 1), maxInflightBytes: integer(get, MAX_INFLIGHT_BYTES, 1) };
}

/** Why an edge refuses a connector on another link stack; the connector shows it as it is. */
export function linkStackMismatch(connector: LinkStackName, edge: LinkStackName): string {
  return `link stack mismatch: the connector runs --link-stack ${connector}, this edge --link-stack ${edge}; start both with the same --link-stack`;
}

/** The connector's error for an edge's refusal: the fatal ones (no redial can fix them) by their class. */
export function refusalError(status: number, message: string): Error {
  if (status === GrpcStatus.UNAUTHENTICATED) return new ConnectorAuthError(`the edge refused this connector: ${message}`);
  if (status === GrpcStatus.FAILED_PRECONDITION) return new ConnectorConfigError(`the edge refused this connector: ${message}`);
  return new Error(`the edge refused the connection (grpc-status ${status}): ${message}`);
}

function integer(get: FieldLookup, key: string, min: number): number {
  const raw = get(key);
  const n = Number(raw);
  if (raw === undefined || !Number.isSafeInteger(n) || n < min)
    throw new HandshakeError(`metadata ${key} must be an integer >= ${min}, got '${raw ?? '(missing)'}'`);
  return n;
}
