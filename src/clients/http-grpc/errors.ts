/**
 * How an http_grpc call can fail, one class per way, each with a stable code. Every call settles exactly
 * once: with its reply, or with one of these.
 */
import { MuxbenchError } from '../../errors.ts';

export type HttpGrpcErrorCode =
  | 'MUX_ERR_CALL'
  | 'MUX_ERR_NO_REPLY'
  | 'MUX_ERR_HTTP_STATUS'
  | 'MUX_ERR_TRANSPORT'
  | 'MUX_ERR_PROTOCOL'
  | 'MUX_ERR_CLIENT_CLOSED';

export abstract class HttpGrpcError extends MuxbenchError {
  abstract override readonly code: HttpGrpcErrorCode;
}

const utf8 = new TextDecoder();

/** The server answered the call with a non-zero code; the payload is the handler's message. */
export class HttpGrpcCallError extends HttpGrpcError {
  override readonly name = 'HttpGrpcCallError';
  readonly code = 'MUX_ERR_CALL';
  constructor(
    /** The frame's code (500 = handler error). */
    readonly status: number,
    readonly payload: Uint8Array,
  ) {
    super(`call failed with code ${status}: ${utf8.decode(payload)}`);
  }
}

/** No reply: the server sent the 0xFFFFFFFF frame, or the response ended without the call's frame. */
export class HttpGrpcNoReplyError extends HttpGrpcError {
  override readonly name = 'HttpGrpcNoReplyError';
  readonly code = 'MUX_ERR_NO_REPLY';
  constructor(
    readonly reason: 'no-reply-frame' | 'response-ended',
    callId: number,
  ) {
    super(
      reason === 'no-reply-frame'
        ? `call ${callId}: the server answered with the no-reply frame (unknown function, or the handler returned nothing)`
        : `call ${callId}: the response ended without a frame for this call`,
    );
  }
}

/** The POST itself was refused (400 too many calls, 413 too large, …). */
export class HttpGrpcStatusError extends HttpGrpcError {
  override readonly name = 'HttpGrpcStatusError';
  readonly code = 'MUX_ERR_HTTP_STATUS';
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}: ${body.trim() || '(empty body)'}`);
  }
}

export class HttpGrpcTransportError extends HttpGrpcError {
  override readonly name = 'HttpGrpcTransportError';
  readonly code = 'MUX_ERR_TRANSPORT';
  constructor(cause: unknown) {
    super(`transport failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The reply stream broke the protocol: a malformed frame, or a frame for a call not made on it. */
export class HttpGrpcProtocolError extends HttpGrpcError {
  override readonly name = 'HttpGrpcProtocolError';
  readonly code = 'MUX_ERR_PROTOCOL';
}

export class HttpGrpcClientClosedError extends HttpGrpcError {
  override readonly name = 'HttpGrpcClientClosedError';
  readonly code = 'MUX_ERR_CLIENT_CLOSED';
  constructor() {
    super('the client was destroyed before the call was answered');
  }
}
