/**
 * What one public client may make a tunnel edge spend on its h2c connection, with the defaults and why —
 * the public side's layer over the session's own bounds (src/h2/limits.ts). Both edges (h2 and grpc)
 * share the public side, so both take these as `--public-*` options.
 */
import { DEFAULT_GLITCH_BURST, DEFAULT_GLITCH_REFILL_PER_SEC, DEFAULT_MAX_HEADER_LIST_BYTES, type SessionLimits } from '../../h2/limits.ts';
import { intOption } from '../serve.ts';

export interface PublicLimits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS per public connection */
  maxConcurrentStreams: number;
  /** unread request body a connection may hold before new streams are refused (ENHANCE_YOUR_CALM) */
  maxMemoryMb: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE: larger request heads are answered 431 */
  maxHeaderListBytes: number;
  /** a connection without open streams for this long is closed (GOAWAY NO_ERROR) */
  idleTimeoutMs: number;
  /** a stream stalled on its client this long is reset, releasing its tunnel stream */
  streamStallTimeoutMs: number;
  /** reset / glitch budget: burst … */
  resetBurst: number;
  /** … and refill per second; past it, GOAWAY ENHANCE_YOUR_CALM */
  resetRefillPerSec: number;
}

/** RFC 9113 §6.5.2 recommends no fewer than 100; nghttpx's frontend default. */
export const DEFAULT_PUBLIC_MAX_STREAMS = 100;
/** node:http2's maxSessionMemory default (10 MB). */
export const DEFAULT_PUBLIC_MAX_MEMORY_MB = 10;
/** nghttpx's frontend keep-alive timeout (1 min), and the public HTTP/1.1 listener's keep-alive. */
export const DEFAULT_PUBLIC_IDLE_TIMEOUT_MS = 60_000;
/**
 * A public stream that waits on its client (a window it does not open, a body it does not send) holds a
 * tunnel stream others queue for (up to the queue timeout, 30 s): give it up well before that. nghttpx's
 * frontend write timeout is 30 s.
 */
export const DEFAULT_PUBLIC_STALL_TIMEOUT_MS = 10_000;

export const DEFAULT_PUBLIC_LIMITS: Readonly<PublicLimits> = Object.freeze({
  maxConcurrentStreams: DEFAULT_PUBLIC_MAX_STREAMS,
  maxMemoryMb: DEFAULT_PUBLIC_MAX_MEMORY_MB,
  maxHeaderListBytes: DEFAULT_MAX_HEADER_LIST_BYTES,
  idleTimeoutMs: DEFAULT_PUBLIC_IDLE_TIMEOUT_MS,
  streamStallTimeoutMs: DEFAULT_PUBLIC_STALL_TIMEOUT_MS,
  resetBurst: DEFAULT_GLITCH_BURST,
  resetRefillPerSec: DEFAULT_GLITCH_REFILL_PER_SEC,
});

/** The session options a public h2c connection runs with. */
export function publicSessionLimits(overrides: Partial<PublicLimits> = {}): SessionLimits {
  const l = { ...DEFAULT_PUBLIC_LIMITS, ...overrides };
  return {
    maxConcurrentStreams: l.maxConcurrentStreams,
    maxHeldBytes: l.maxMemoryMb * 1024 * 1024,
    maxHeaderListBytes: l.maxHeaderListBytes,
    idleTimeoutMs: l.idleTimeoutMs,
    streamStallTimeoutMs: l.streamStallTimeoutMs,
    glitchBurst: l.resetBurst,
    glitchRefillPerSec: l.resetRefillPerSec,
  };
}

export const PUBLIC_LIMIT_ARG_OPTIONS = {
  'public-max-streams': { type: 'string' },
  'public-max-memory-mb': { type: 'string' },
  'public-max-header-list-bytes': { type: 'string' },
  'public-idle-timeout-ms': { type: 'string' },
  'public-stall-timeout-ms': { type: 'string' },
  'public-reset-burst': { type: 'string' },
  'public-reset-refill': { type: 'string' },
} as const;

const d = DEFAULT_PUBLIC_LIMITS;
export const PUBLIC_LIMITS_USAGE = `  public h2c limits, per client connection (see README "Limits"):
  --public-max-streams N    SETTINGS_MAX_CONCURRENT_STREAMS; more are refused with REFUSED_STREAM (default ${d.maxConcurrentStreams})
  --public-max-memory-mb N  unread request body held before new streams are refused with ENHANCE_YOUR_CALM (default ${d.maxMemoryMb})
  --public-max-header-list-bytes N
                            SETTINGS_MAX_HEADER_LIST_SIZE; larger request heads get 431 (default ${d.maxHeaderListBytes})
  --public-idle-timeout-ms N  close a connection with no open stream after N ms, 0 = never (default ${d.idleTimeoutMs})
  --public-stall-timeout-ms N reset a stream whose client opens no window / sends no body for N ms, releasing
                            its tunnel stream; 0 = never (default ${d.streamStallTimeoutMs})
  --public-reset-burst N    resets, refused streams and empty frames a client may cause at once … (default ${d.resetBurst})
  --public-reset-refill N   … and per second after that; then GOAWAY ENHANCE_YOUR_CALM (default ${d.resetRefillPerSec})`;

export function parsePublicLimits(values: Partial<Record<keyof typeof PUBLIC_LIMIT_ARG_OPTIONS, string>>): PublicLimits {
  return {
    maxConcurrentStreams: intOption('public-max-streams', values['public-max-streams'], d.maxConcurrentStreams, 1, 2 ** 31 - 1),
    maxMemoryMb: intOption('public-max-memory-mb', values['public-max-memory-mb'], d.maxMemoryMb, 1),
    maxHeaderListBytes: intOption('public-max-header-list-bytes', values['public-max-header-list-bytes'], d.maxHeaderListBytes, 1024, 16 * 1024 * 1024),
    idleTimeoutMs: intOption('public-idle-timeout-ms', values['public-idle-timeout-ms'], d.idleTimeoutMs, 0),
    streamStallTimeoutMs: intOption('public-stall-timeout-ms', values['public-stall-timeout-ms'], d.streamStallTimeoutMs, 0),
    resetBurst: intOption('public-reset-burst', values['public-reset-burst'], d.resetBurst, 1),
    resetRefillPerSec: intOption('public-reset-refill', values['public-reset-refill'], d.resetRefillPerSec, 0),
  };
}
