/**
 * Everything a peer can make a session spend, bounded: each limit's default, the reason for it, and the
 * reference it follows (RFC 9113, nghttp2, Go's x/net/http2). `SessionLimits` are the session options that
 * carry them; the tunnel's public side sets its own defaults on top (src/systems/tunnel/public-limits.ts).
 */

/** RFC 9113 §6.5.2 advisory size of a decoded header list (name + value + 32 per field); nghttp2 and node use 64 KiB. */
export const DEFAULT_MAX_HEADER_LIST_BYTES = 64 * 1024;
/** Encoded header block bytes buffered before decoding (HEADERS + CONTINUATION); larger ends the connection. */
export const DEFAULT_MAX_HEADER_BLOCK_BYTES = 64 * 1024;
/** nghttp2 `max_continuations`: CONTINUATION frames per header block (stops the zero-length CONTINUATION flood). */
export const DEFAULT_MAX_CONTINUATION_FRAMES = 8;
/**
 * nghttp2 `stream_reset_ratelim` (CVE-2023-44487 rapid reset): a token bucket of "glitches" — peer resets,
 * streams this side had to refuse or reset, empty DATA frames — with this burst …
 */
export const DEFAULT_GLITCH_BURST = 1000;
/** … refilled at this rate; an empty bucket ends the connection with ENHANCE_YOUR_CALM. */
export const DEFAULT_GLITCH_REFILL_PER_SEC = 33;
/** Go `maxQueuedControlFrames`: replies the peer provoked (PING/SETTINGS ACKs, RST_STREAMs) queued unsent. */
export const DEFAULT_MAX_QUEUED_CONTROL_FRAMES = 10_000;
/**
 * Replies queued behind a backed-up socket after which the session stops reading until 'drain': a peer
 * that does not read cannot make it queue more. Small enough to bound memory (one read's worth beyond
 * it), large enough that a legitimate peer's odd PING never pauses a busy full-duplex link.
 */
export const PAUSE_READING_AT_QUEUED_REPLIES = 100;
/** §3.4: the peer's preface (a client's magic, either side's first SETTINGS) within this time (nghttpx: 10 s handshake). */
export const DEFAULT_PREFACE_TIMEOUT_MS = 10_000;
/** §6.5.3: our SETTINGS acknowledged within this time, else GOAWAY SETTINGS_TIMEOUT. */
export const DEFAULT_SETTINGS_ACK_TIMEOUT_MS = 10_000;
/**
 * DATA payloads below this size are copied together while the stream's reader is behind, instead of each
 * becoming its own buffered chunk (~100 bytes of heap per chunk: 1-byte frames would cost 100× the
 * window). Go copies every DATA frame into a chunked pipe buffer for the same reason.
 */
export const COALESCE_DATA_BELOW_BYTES = 1024;
/** The buffer small payloads are gathered in, pushed to the reader when full or when it asks. */
export const COALESCE_BUFFER_BYTES = 16 * 1024;
/** How often timeouts are checked: one process-wide timer for every session (src/h2/sweep.ts). */
export const SWEEP_INTERVAL_MS = 1000;

/** Session options that bound what the peer can make it spend. Defaults above; 0 / Infinity = off where noted. */
export interface SessionLimits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS advertised and enforced (REFUSED_STREAM beyond); default unlimited */
  maxConcurrentStreams?: number;
  /**
   * Body bytes received on open streams and not yet given back to the peer (unread, or read but below the
   * WINDOW_UPDATE threshold) beyond which new streams are refused with ENHANCE_YOUR_CALM — the session's
   * memory bound, like node:http2's maxSessionMemory. Default unlimited (the windows bound it).
   */
  maxHeldBytes?: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE advertised and enforced while decoding (431 / stream error beyond); default 64 KiB */
  maxHeaderListBytes?: number;
  /** encoded header block bytes (HEADERS + CONTINUATION) beyond which the connection ends; default 64 KiB */
  maxHeaderBlockBytes?: number;
  /** CONTINUATION frames per header block; default 8 */
  maxContinuationFrames?: number;
  /** glitch budget burst (resets, refused/reset streams, empty DATA); default 1000, Infinity = off */
  glitchBurst?: number;
  /** glitch budget refill per second; default 33 */
  glitchRefillPerSec?: number;
  /** peer-provoked control frames queued unsent before GOAWAY ENHANCE_YOUR_CALM; default 10,000 */
  maxQueuedControlFrames?: number;
  /** the peer's preface and first SETTINGS within this time, else the connection is closed; default 10 s, 0 = off */
  prefaceTimeoutMs?: number;
  /** our SETTINGS acknowledged within this time, else GOAWAY SETTINGS_TIMEOUT; default 10 s, 0 = off */
  settingsAckTimeoutMs?: number;
  /** no open stream for this long: GOAWAY NO_ERROR and close; default 0 = off */
  idleTimeoutMs?: number;
  /**
   * A stream stalled on the peer this long is reset (CANCEL): its data waits for a window the peer does
   * not open, or (server role) its request body does not come while no response has started; a socket the
   * peer does not read for this long ends the connection. Default 0 = off.
   */
  streamStallTimeoutMs?: number;
}
