/** Options of the reference http_grpc server, their defaults and the reasons for them. */
import { CRATE_MAX_CALLS_PER_REQUEST, DEFAULT_MAX_PAYLOAD_BYTES } from '../../wire/index.ts';

export type ServerMode = 'compat' | 'streaming';

/**
 * Streaming mode's default bound on calls running at once for one request: enough to keep a CPU busy
 * behind slow handlers, small enough that a flood of sleeps cannot hold unbounded timers.
 */
export const DEFAULT_MAX_INFLIGHT = 4096;

/** Compat mode buffers the whole body (as the crate does), so it needs a ceiling; streaming does not. */
export const DEFAULT_COMPAT_MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface HttpGrpcServerOptions {
  mode: ServerMode;
  /** Complete frames allowed in one request; 0 = unlimited. */
  maxCalls: number;
  /** Streaming mode: calls running at once per request before the server stops reading the body. */
  maxInflight: number;
  /** Largest frame payload accepted (request) and produced (sized replies are capped separately). */
  maxPayloadBytes: number;
  /** Largest request body; 0 = unlimited. */
  maxBodyBytes: number;
}

export function defaultServerOptions(mode: ServerMode = 'compat'): HttpGrpcServerOptions {
  return {
    mode,
    maxCalls: mode === 'compat' ? CRATE_MAX_CALLS_PER_REQUEST : 0,
    maxInflight: DEFAULT_MAX_INFLIGHT,
    maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
    maxBodyBytes: mode === 'compat' ? DEFAULT_COMPAT_MAX_BODY_BYTES : 0,
  };
}
