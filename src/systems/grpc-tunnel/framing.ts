/**
 * How a tunnel link frames its messages: each TunnelMessage encoded on its own as an element of a
 * TunnelBatch (protocol.ts), never larger than the smaller of both sides' --max-message-bytes — a message
 * too large fails its one request (MessageTooLargeError), not the whole call — and body chunks cut so that
 * one always fits with its envelope, whatever --chunk-size says.
 */
import { type LinkKnobs, type LinkLimits, MESSAGE_OVERHEAD_BYTES } from './config.ts';
import { MessageTooLargeError } from './errors.ts';
import { encodeFramed, type TunnelMessage } from './protocol.ts';

export class LinkFramer {
  /** Largest encoded TunnelMessage this side may send. */
  readonly sendLimitBytes: number;
  /** Largest body chunk in one message. */
  readonly chunkSizeBytes: number;

  constructor(own: LinkKnobs, peer: LinkLimits) {
    this.sendLimitBytes = Math.min(own.maxMessageBytes, peer.maxMessageBytes);
    this.chunkSizeBytes = Math.max(1, Math.min(own.chunkSizeBytes, this.sendLimitBytes - MESSAGE_OVERHEAD_BYTES));
  }

  /** Encodes a message for the link, or throws MessageTooLargeError. */
  frame(message: TunnelMessage): Buffer {
    const framed = encodeFramed(message);
    if (framed.length > this.sendLimitBytes) {
      throw new MessageTooLargeError(
        `a ${message.payload} message of ${framed.length} bytes exceeds the tunnel's message limit of ${this.sendLimitBytes} bytes (--max-message-bytes)`,
      );
    }
    return framed;
  }
}
