/** The knobs of the h2-stream tunnel and why their defaults are what they are. */
import { DEFAULT_STREAM_LIMIT } from '../../h2/stream-limit.ts';

/** Node's defaults (RFC 9113 §6.9.2 initial window); cloudflared's Go stack uses 1 MiB. */
export const DEFAULT_STREAM_WINDOW_BYTES = 65_535;
export const DEFAULT_SESSION_WINDOW_BYTES = 65_535;
/** Node's default maxSessionMemory, in MB. */
export const DEFAULT_MAX_SESSION_MEMORY_MB = 10;
/** Requests waiting for a free stream before the edge answers 503 instead of queueing more. */
export const DEFAULT_QUEUE_LIMIT = 100_000;
/** How long a request may wait for a free stream before it is answered 503. */
export const DEFAULT_QUEUE_TIMEOUT_MS = 30_000;

// The tunnel leg's session limits live with what both tunnel designs share (the grpc tunnel's raw link
// stack runs on the same session).
export { TUNNEL_MAX_HEADER_BYTES, TUNNEL_SESSION_LIMITS } from '../tunnel/session-limits.ts';

/** What the connector chooses and tells the edge in its hello, so both ends of a connection agree. */
export interface ConnectionKnobs {
  /** the stream limit (src/h2/stream-limit.ts): 0 = unlimited */
  maxConcurrentStreams: number;
  streamWindowBytes: number;
  sessionWindowBytes: number;
  maxSessionMemoryMb: number;
}

export function defaultKnobs(): ConnectionKnobs {
  return {
    maxConcurrentStreams: DEFAULT_STREAM_LIMIT,
    streamWindowBytes: DEFAULT_STREAM_WINDOW_BYTES,
    sessionWindowBytes: DEFAULT_SESSION_WINDOW_BYTES,
    maxSessionMemoryMb: DEFAULT_MAX_SESSION_MEMORY_MB,
  };
}
