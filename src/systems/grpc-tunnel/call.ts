/**
 * The Connect call as the link sees it, whatever HTTP/2 stack carries it: gRPC messages (encoded
 * TunnelBatches) both ways with backpressure on writes, and one close with a reason. Each link stack
 * (src/systems/grpc-tunnel/stacks.ts) implements it, plus how the edge serves Connect and the connector
 * dials it, so link.ts, edge.ts and connector.ts are written once for both.
 */
import type { ChannelWindows } from './config.ts';

/** The gRPC status codes this tunnel sends or reads (grpc/doc/statuscodes.md). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export interface CallEvents {
  /** One gRPC message from the peer: an encoded TunnelBatch. */
  message(bytes: Buffer): void;
  /** The call is over, for whatever reason (either side, the transport, a hostile peer): called once. */
  closed(reason: string): void;
}

/**
 * Tells the link its call is over. 'close' arrives from a stream's nextTick, where a throw would end the
 * process; the call is gone anyway, so a link that fails here is only warned about.
 */
export function tellClosed(events: CallEvents, reason: string): void {
  try {
    events.closed(reason);
  } catch (err) {
    process.emitWarning(`a tunnel link failed while closing: ${String(err)}`);
  }
}

export interface LinkCall {
  /** Starts delivering the peer's messages; called once, right after the call is set up. */
  listen(events: CallEvents): void;
  /**
   * Sends one gRPC message whose payload is the concatenation of `parts` (`bytes` long); `written` runs
   * once the stack has taken it and the next may follow — the link writes one message at a time.
   */
  write(parts: readonly Buffer[], bytes: number, written: () => void): void;
  /**
   * Ends the call now and frees its connection. On the edge (the gRPC server) the peer gets `status` and
   * `reason` as grpc-status / grpc-message trailers; the connector (the client) cancels (RST_STREAM). The
   * link never half-closes a call, so ending and cancelling are this one step. Idempotent; `closed`
   * follows.
   */
  close(status: number, reason: string): void;
}

/** Connect call metadata (ASCII, lower-case names): the hello and the edge's answer, see handshake.ts. */
export type CallFields = Record<string, string>;
/** Reads one field of received metadata (its first value). */
export type FieldLookup = (name: string) => string | undefined;

/** The edge's decision on a Connect call, from its metadata. */
export type Admission = { accepted: true; answer: CallFields; attach(call: LinkCall): void } | { accepted: false; status: number; message: string };

export interface ServeOptions {
  host: string;
  port: number;
  windows: ChannelWindows;
  /** largest gRPC message accepted from a connector */
  maxMessageBytes: number;
  log: (message: string) => void;
  /** Called once per Connect call: an accepted call is answered with `answer` as its initial metadata. */
  admit(fields: FieldLookup, peer: string): Admission;
}

export interface ConnectServer {
  port: number;
  /** Stops listening and ends every connection (after close() of their calls had a turn to flush). */
  close(): Promise<void>;
}

export interface DialOptions {
  edge: URL;
  hello: CallFields;
  windows: ChannelWindows;
  /** largest gRPC message accepted from the edge */
  maxMessageBytes: number;
  timeoutMs: number;
  /** aborted when the connector closes during the dial */
  signal: AbortSignal;
}

export interface Dialled {
  call: LinkCall;
  /** the edge's initial metadata */
  answer: FieldLookup;
}

/** One way to carry Connect calls, both roles. */
export interface LinkStack {
  serve(options: ServeOptions): Promise<ConnectServer>;
  /**
   * Dials the edge and calls Connect; resolves once the edge accepted (its initial metadata arrived).
   * A refusal rejects with the error handshake.ts's refusalError makes of its status.
   */
  dial(options: DialOptions): Promise<Dialled>;
}
