/**
 * Stream identifiers (RFC 9113 §5.1.1) and what an id that is not open means: a client opens odd ids, a
 * server even ones, each side's ids only grow, and an id never used yet is "idle" — most frames on an idle
 * stream are a connection error (§5.1). An id below the highest used and not open is closed (or was
 * skipped, which §5.1.1 also counts as closed).
 */
import { MAX_STREAM_ID } from './frames.ts';

/** How many of the peer's streams this side reset are remembered: their late frames are ignored (§5.4.2). */
const RECENT_RESETS = 32;

export class StreamIds {
  /** highest id the peer has opened */
  lastPeer = 0;
  /** the next id this side opens */
  nextLocal: number;
  private readonly peerParity: number;
  private readonly recentResets = new Int32Array(RECENT_RESETS);
  private resetsAt = 0;

  constructor(isServer: boolean) {
    this.nextLocal = isServer ? 2 : 1;
    this.peerParity = isServer ? 1 : 0;
  }

  /** The peer, not this side, opens streams with this id. */
  isPeers(id: number): boolean {
    return (id & 1) === this.peerParity;
  }

  /** §5.1: no frame has opened this stream yet. */
  isIdle(id: number): boolean {
    return this.isPeers(id) ? id > this.lastPeer : id >= this.nextLocal;
  }

  /** This side's ids are used up: a new connection must take over. */
  get exhausted(): boolean {
    return this.nextLocal > MAX_STREAM_ID;
  }

  takeLocal(): number {
    const id = this.nextLocal;
    this.nextLocal += 2;
    return id;
  }

  /** This side reset the peer's stream `id`: frames that crossed the RST_STREAM may still come. */
  noteReset(id: number): void {
    this.recentResets[this.resetsAt] = id;
    this.resetsAt = (this.resetsAt + 1) % RECENT_RESETS;
  }

  wasResetRecently(id: number): boolean {
    return this.recentResets.includes(id);
  }
}
