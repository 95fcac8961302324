/** The knobs of the h2-stream tunnel and why their defaults are what they are. */
import type { SessionLimits } from '../../h2/limits.ts';

/** The limit the seed analysis argues about; cloudflared itself advertises 2^32-1. */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 100;
/** What `--max-concurrent-streams 0` (unlimited) advertises: HTTP/2's largest value, as cloudflared does. */
export const UNLIMITED_STREAMS = 2 ** 32 - 1;
/** Node's defaults (RFC 9113 §6.9.2 initial window); cloudflared's Go stack uses 1 MiB. */
export const DEFAULT_STREAM_WINDOW_BYTES = 65_535;
export const DEFAULT_SESSION_WINDOW_BYTES = 65_535;
/** Node's default maxSessionMemory, in MB. */
export const DEFAULT_MAX_SESSION_MEMORY_MB = 10;
/** Requests waiting for a free stream before the edge answers 503 instead of queueing more. */
export const DEFAULT_QUEUE_LIMIT = 100_000;
/** How long a request may wait for a free stream before it is answered 503. */
export const DEFAULT_QUEUE_TIMEOUT_MS = 30_000;

/**
 * Header bytes (decoded list and encoded block) each end of a tunnel connection takes: Go's default
 * MaxHeaderBytes, well above anything the public side admits (64 KiB by default) so a public request never
 * ends a tunnel connection; a head the connector will not take is answered 431 at the edge instead.
 */
export const TUNNEL_MAX_HEADER_BYTES = 1024 * 1024;

/**
 * Session limits on the tunnel link. The peer is authenticated and its resets mirror what public clients
 * do (each public client has its own budget), so the link has no glitch budget of its own: a rapid-reset
 * attack on the public side must not take down the tunnel for everyone.
 */
export const TUNNEL_SESSION_LIMITS: SessionLimits = Object.freeze({
  maxHeaderListBytes: TUNNEL_MAX_HEADER_BYTES,
  maxHeaderBlockBytes: TUNNEL_MAX_HEADER_BYTES,
  glitchBurst: Number.POSITIVE_INFINITY,
});

/** What the connector chooses and tells the edge in its hello, so both ends of a connection agree. */
export interface ConnectionKnobs {
  maxConcurrentStreams: number;
  streamWindowBytes: number;
  sessionWindowBytes: number;
  maxSessionMemoryMb: number;
}

export function defaultKnobs(): ConnectionKnobs {
  return {
    maxConcurrentStreams: DEFAULT_MAX_CONCURRENT_STREAMS,
    streamWindowBytes: DEFAULT_STREAM_WINDOW_BYTES,
    sessionWindowBytes: DEFAULT_SESSION_WINDOW_BYTES,
    maxSessionMemoryMb: DEFAULT_MAX_SESSION_MEMORY_MB,
  };
}
