/** The grpc-stream tunnel's errors, each with a stable code. */
import { MuxbenchError } from '../../errors.ts';

export { ConnectorAuthError, ConnectorConfigError } from '../tunnel/redial.ts';

/** The Connect call's metadata lacks a field or has one that is not what the handshake needs. */
export class HandshakeError extends MuxbenchError {
  override readonly name = 'HandshakeError';
  readonly code = 'MUX_ERR_TUNNEL_HANDSHAKE';
}

/** The peer sent more of one request's body than the credit it was given (--max-inflight-bytes). */
export class InflightExceededError extends MuxbenchError {
  override readonly name = 'InflightExceededError';
  readonly code = 'MUX_ERR_INFLIGHT_EXCEEDED';
}

/** A message too large for the smaller of both sides' --max-message-bytes: that request fails, not the stream. */
export class MessageTooLargeError extends MuxbenchError {
  override readonly name = 'MessageTooLargeError';
  readonly code = 'MUX_ERR_MESSAGE_TOO_LARGE';
}
