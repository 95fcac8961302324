/** The knobs of the grpc-stream tunnel and why their defaults are what they are. */

/** Body bytes per BodyChunk message: big enough to amortise per-message cost, small enough to interleave. */
export const DEFAULT_CHUNK_SIZE_BYTES = 16 * 1024;
/** grpc-js's own default for grpc.max_receive_message_length (4 MiB), for sends and receives alike. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/**
 * Per-request credit: how many body bytes of one request a side may have sent that the other has not yet
 * consumed. It bounds what a slow reader can make the receiving side buffer for one request.
 */
export const DEFAULT_MAX_INFLIGHT_BYTES = 256 * 1024;
/**
 * The gRPC channel's HTTP/2 windows. Node's defaults (64 KiB, RFC 9113 §6.9.2) throttle the ONE stream
 * every request shares; cloudflared's Go stack uses 1 MiB, and so does this design by default.
 */
export const DEFAULT_STREAM_WINDOW_BYTES = 1024 * 1024;
export const DEFAULT_SESSION_WINDOW_BYTES = 1024 * 1024;
/** A message carries its body chunk plus the envelope (request id, field tags): leave room for it. */
export const MESSAGE_OVERHEAD_BYTES = 64;
/** Smallest --max-inflight-bytes accepted: below this, window updates would outnumber the data. */
export const MIN_INFLIGHT_BYTES = 1024;
/**
 * What carries the Connect call. Both speak the same gRPC call on the wire (tunnel.proto's path,
 * length-prefixed TunnelBatches, grpc-status trailers), so they differ only in cost:
 * - raw: muxbench's own HTTP/2 session (src/h2), the stack the h2 tunnel runs on — the default, so that
 *   comparing the two tunnels compares their designs, not two HTTP/2 implementations;
 * - grpc-js: @grpc/grpc-js over node:http2, kept to measure what the stack alone costs.
 */
export const LINK_STACKS = ['raw', 'grpc-js'] as const;
export type LinkStackName = (typeof LINK_STACKS)[number];
export const DEFAULT_LINK_STACK: LinkStackName = 'raw';

/** What each side of a tunnel connection chooses for itself and tells the other in the Connect metadata. */
export interface LinkLimits {
  /** Largest encoded TunnelMessage this side accepts (grpc.max_receive_message_length) and sends. */
  maxMessageBytes: number;
  /** Per-request credit this side grants the peer (its receive buffer bound per request). */
  maxInflightBytes: number;
}

export interface LinkKnobs extends LinkLimits {
  chunkSizeBytes: number;
}

export interface ChannelWindows {
  streamWindowBytes: number;
  sessionWindowBytes: number;
}

export function defaultLinkKnobs(): LinkKnobs {
  return { chunkSizeBytes: DEFAULT_CHUNK_SIZE_BYTES, maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES, maxInflightBytes: DEFAULT_MAX_INFLIGHT_BYTES };
}

export function defaultWindows(): ChannelWindows {
  return { streamWindowBytes: DEFAULT_STREAM_WINDOW_BYTES, sessionWindowBytes: DEFAULT_SESSION_WINDOW_BYTES };
}
