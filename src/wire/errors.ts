/**
 * Errors raised by the http_grpc codecs. Each carries a stable `code` so callers (the server choosing a
 * 400 or a 413, a test asserting the kind) never have to match on message text.
 */
export type WireErrorCode =
  | 'MUX_ERR_VARINT_OVERLENGTH'
  | 'MUX_ERR_VARINT_RANGE'
  | 'MUX_ERR_FRAME_TOO_LARGE';

export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly code: WireErrorCode,
    message: string,
  ) {
    super(message);
  }
}
