/**
 * The request-id multiplexer of one tunnel link: every request on the one Connect call is a channel keyed
 * by its request_id. Ids come from a counter that wraps past 2^32-1 and skips live ids; a decoded batch is
 * routed message by message to its channel, a head for an unknown id opens a request (connector side), and
 * anything else for an unknown id is for a request this side abandoned already (its peer had not heard).
 */
import type { RequestChannel } from './channel.ts';
import type { TunnelMessage } from './protocol.ts';

/** request_id 0 is never used: it is what a message without the field decodes to. */
const MAX_REQUEST_ID = 0xffff_ffff;

export class RequestMultiplexer {
  readonly channels = new Map<number, RequestChannel>();
  /** the next id to try */
  nextId = 1;

  /** A request id not in use on this link. */
  allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id === MAX_REQUEST_ID ? 1 : id + 1;
      if (!this.channels.has(id)) return id;
    }
  }

  register(channel: RequestChannel): void {
    this.channels.set(channel.id, channel);
  }

  unregister(channel: RequestChannel): void {
    if (this.channels.get(channel.id) === channel) this.channels.delete(channel.id);
  }

  /**
   * Routes one message to its channel. Returns the message when it is a head for an id with no channel (a
   * new request, for the owner to open), else null.
   */
  route(m: TunnelMessage): (TunnelMessage & { payload: 'head' }) | null {
    const id = m.requestId ?? 0;
    const ch = this.channels.get(id);
    if (ch) ch.receive(m);
    else if (m.payload === 'head' && id !== 0) return m;
    return null;
  }

  /** Takes every channel out (the link is gone): the caller tells each. */
  takeAll(): RequestChannel[] {
    const open = [...this.channels.values()];
    this.channels.clear();
    return open;
  }
}
