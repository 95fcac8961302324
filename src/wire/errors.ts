/**
 * Errors raised by the wire codecs (http_grpc frames, gRPC length-prefixed messages). Each carries a
 * stable `code` so callers (the server choosing a 400 or a 413, a test asserting the kind) never have to
 * match on message text.
 */
import { MuxbenchError } from '../errors.ts';

export type WireErrorCode = 'MUX_ERR_VARINT_OVERLENGTH' | 'MUX_ERR_VARINT_RANGE' | 'MUX_ERR_FRAME_TOO_LARGE' | 'MUX_ERR_GRPC_COMPRESSED';

export class WireError extends MuxbenchError {
  override readonly name = 'WireError';
  constructor(
    readonly code: WireErrorCode,
    message: string,
  ) {
    super(message);
  }
}
