/**
 * The stack's one error vocabulary (RFC 9113 §5.4, §7): the error codes, a connection error (the session
 * answers GOAWAY with its code and closes), a stream error (RST_STREAM with its code; also why a stream
 * ended early), and how any failure inside a session maps to the connection error it calls for.
 */
import { MuxbenchError } from '../errors.ts';

/** §7 error codes. */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
} as const;

/** A connection error (§5.4.1): what the peer did ends the whole connection with GOAWAY `errorCode`. */
export class FrameError extends MuxbenchError {
  override readonly name: string = 'FrameError';
  readonly code: `MUX_ERR_${string}` = 'MUX_ERR_H2_CONNECTION';
  constructor(
    readonly errorCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A stream error (§5.4.2), or why a stream ended early: the RST_STREAM code (either side's). */
export class StreamError extends MuxbenchError {
  override readonly name: string = 'StreamError';
  readonly code: `MUX_ERR_${string}` = 'MUX_ERR_H2_STREAM';
  constructor(
    /** the RST_STREAM code (§7) */
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A head larger than the peer's SETTINGS_MAX_HEADER_LIST_SIZE: not sent (an HTTP front answers 431). */
export class HeadTooLargeError extends StreamError {
  override readonly name = 'HeadTooLargeError';
  constructor(
    readonly listBytes: number,
    readonly limitBytes: number,
  ) {
    super(ErrorCode.REFUSED_STREAM, `a head of ${listBytes} bytes exceeds the peer's SETTINGS_MAX_HEADER_LIST_SIZE of ${limitBytes}`);
  }
}

/**
 * The connection error a failure inside a session calls for: protocol errors keep theirs, anything else
 * (a bug, a callback that threw) becomes INTERNAL_ERROR with the failure as its cause — never an exception
 * out of a socket handler.
 */
export function connectionErrorOf(err: unknown): FrameError {
  if (err instanceof FrameError) return err;
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new FrameError(ErrorCode.INTERNAL_ERROR, `internal error: ${message}`, { cause: err });
}
