/**
 * What both tunnel designs (h2-stream and grpc-stream) carry, independent of how they carry it: one
 * exchange per public request, WebSocket or TCP connection.
 */
import { MuxbenchError } from '../../errors.ts';
import type { Duplex } from 'node:stream';

export type StreamKind = 'http' | 'websocket' | 'tcp';

/** Header values as node:http and node:http2 give them, names lower-case, pseudo-headers removed. */
export type Headers = Record<string, string | string[]>;

export interface TunnelRequestHead {
  kind: StreamKind;
  /** GET, POST, …; CONNECT for websocket and tcp */
  method: string;
  /** path and query; '' for tcp */
  path: string;
  authority: string;
  /** end-to-end headers only (hop-by-hop ones removed) */
  headers: Headers;
  /** false when the request is known to carry no body (GET without one, END_STREAM on the HEADERS) */
  hasBody: boolean;
}

export interface TunnelResponseHead {
  status: number;
  headers: Headers;
  /** Nothing follows the head: no body, no trailers (a gRPC trailers-only reply must stay one). */
  endStream?: boolean;
}

/**
 * One exchange as the edge sees it: `stream` takes the request body (or the client's bytes) and yields
 * the response body (or the origin's bytes).
 */
export interface TunnelExchange {
  readonly stream: Duplex;
  readonly response: Promise<TunnelResponseHead>;
  /** Trailers the origin sent after the body (gRPC status lives here), or null; read once the body ended. */
  trailers(): Headers | null;
  abort(reason: string): void;
}

/** Why the edge could not open an exchange; becomes the status and text of the public reply. */
export class TunnelUnavailableError extends MuxbenchError {
  override readonly name = 'TunnelUnavailableError';
  readonly code = 'MUX_ERR_TUNNEL_UNAVAILABLE';
  constructor(
    readonly status: 431 | 502 | 503 | 504,
    message: string,
  ) {
    super(message);
  }
}

/** What a backend may ask about the public request it opens an exchange for. */
export interface OpenContext {
  /** the public client went away: a request still waiting for a tunnel stream must not take one */
  readonly gone: boolean;
}

/** The edge's view of a tunnel: somewhere to open exchanges. */
export interface TunnelBackend {
  /** Resolves once a stream is available (queueing if needed); rejects with TunnelUnavailableError. */
  open(head: TunnelRequestHead, context?: OpenContext): Promise<TunnelExchange>;
}

/** One exchange as the connector sees it (an HTTP/2 stream, or a request id on the gRPC stream). */
export interface ConnectorExchange {
  readonly head: TunnelRequestHead;
  /** readable: the request body or the client's bytes; writable: the response body or the origin's bytes */
  readonly stream: Duplex;
  /** Sends the response head. `endStream`: nothing follows (no body, no trailers). */
  respond(head: TunnelResponseHead, options?: { endStream?: boolean; withTrailers?: boolean }): void;
  /** Ends the response body, with trailers when `respond` was told `withTrailers`. */
  finish(trailers: Headers | null): void;
  /** Answers with a status and a text body, or cuts the exchange off if the head went out already. */
  fail(status: number, message: string): void;
  readonly responded: boolean;
}
