/**
 * The stream limit, one concept under one name: the SETTINGS_MAX_CONCURRENT_STREAMS a peer advertises per
 * connection (RFC 9113 §6.5.2). muxbench's knobs — a scenario's `streamLimit` (a system field and a sweep
 * axis) and `muxbench serve h2-connector --max-concurrent-streams`, the setting's own name — take 0 for
 * "unlimited", which goes on the wire as HTTP/2's largest value, 2^32−1, as cloudflared advertises it.
 */

/** The limit the seed analysis argues about (the origin side's default); cloudflared itself advertises 2^32−1. */
export const DEFAULT_STREAM_LIMIT = 100;
/** What a limit of 0 (unlimited) advertises: the setting's largest value. */
export const UNLIMITED_ADVERTISED = 2 ** 32 - 1;
/** From here up an advertised limit is unlimited in effect: no peer opens 2^31 streams (stream ids run out first). */
const UNLIMITED_IN_EFFECT = 2 ** 31;

/** What a knob's value advertises on the wire: itself, or 2^32−1 for 0. */
export function advertisedStreamLimit(knob: number): number {
  return knob === 0 ? UNLIMITED_ADVERTISED : knob;
}

/** Whether a limit — a knob's value or an advertised one — leaves the streams unlimited in effect. */
export function isUnlimited(limit: number): boolean {
  return limit === 0 || !Number.isFinite(limit) || limit >= UNLIMITED_IN_EFFECT;
}
