/**
 * The HTTP/2 session limits of a tunnel connection (edge <-> connector), for every design whose tunnel
 * leg runs on muxbench's own session: the h2 tunnel and the grpc tunnel's raw link stack.
 */
import type { SessionLimits } from '../../h2/limits.ts';

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
