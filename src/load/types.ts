/**
 * The contract between load pacing and protocol engines. An engine only knows how to send one request
 * and judge its reply; pacing (closed or open loop) decides when, and measures.
 */

/** What a reply must be for the request to count as a success. */
export interface Expectation {
  /** HTTP status (or 0 for protocols without one) */
  status: number;
  /** exact reply bytes, or the pattern of this length (byte i = i mod 256), or unchecked */
  body?: { exact: Uint8Array } | { patternLength: number };
}

/**
 * Sends one request per `send`. `done` is called exactly once: with null for a reply that met the
 * expectation, or with an error kind (a short stable string such as 'status-503', 'wrong-body',
 * 'reset', 'timeout') and the bytes received either way.
 */
export interface Requester {
  send(done: (errorKind: string | null, bytesIn: number) => void): void;
  /** Bytes each request sends (for bytes/s). */
  readonly bytesOutPerRequest: number;
  close(): Promise<void>;
}

export type LoadModel =
  | { kind: 'closed'; concurrency: number }
  /**
   * `maxInflight` bounds outstanding requests; arrivals beyond it are counted as dropped, never queued.
   * `phase` (0 ≤ phase < 1, default 0) shifts every arrival by that share of one interval: a load worker's
   * share of a rate split over several (load/split.ts).
   */
  | { kind: 'open'; ratePerSec: number; maxInflight: number; phase?: number };

export interface LoadBudget {
  warmupMs: number;
  durationMs: number;
  /** stop issuing after this many requests (0 = no limit) */
  maxRequests?: number;
  /** how long to wait for outstanding requests after the deadline */
  drainMs?: number;
}
