/**
 * A session's incoming DATA: checked against the connection and stream receive windows (§6.9), handed to
 * each stream's readable side, and given back with WINDOW_UPDATEs only as the reader consumes — a slow
 * reader holds back its own stream's window, never the connection's. Small payloads for a reader that is
 * behind are gathered into one chunk instead of costing a buffer each.
 */
import { ErrorCode, FrameError } from './errors.ts';
import { ReceiveWindow, refreshDue } from './flow.ts';
import { COALESCE_BUFFER_BYTES, COALESCE_DATA_BELOW_BYTES } from './limits.ts';
import type { H2Session } from './session.ts';
import type { StreamTable } from './session-streams.ts';
import type { H2Stream } from './stream.ts';
import { clock } from './sweep.ts';

export class BodyReceiver {
  /** unread bytes held across the session's streams (not yet given back) */
  heldBytes = 0;
  /** the stream of the DATA frame being read */
  private current: H2Stream | null = null;
  private readonly window: ReceiveWindow;
  private readonly streams: Map<number, H2Stream>;

  constructor(
    private readonly session: H2Session,
    private readonly table: StreamTable,
    sessionWindowBytes: number,
    /** SETTINGS_INITIAL_WINDOW_SIZE this side advertises */
    readonly streamWindowBytes: number,
    private readonly maxHeldBytes: number,
  ) {
    this.streams = table.streams;
    this.window = new ReceiveWindow(sessionWindowBytes);
  }

  /** The unread bytes are past maxHeldBytes: no new streams until readers catch up. */
  get overMemoryLimit(): boolean {
    return this.heldBytes > this.maxHeldBytes;
  }

  onDataStart(streamId: number, frameBytes: number, endStream: boolean): void {
    const table = this.table;
    this.session.blocks.checkData();
    this.current = null;
    // §6.9.1: the connection window, whatever the stream
    const increment = this.window.receive(frameBytes);
    if (increment > 0) this.session.out.windowUpdate(0, increment);
    const s = this.streams.get(streamId);
    if (s === undefined) {
      if (table.ids.isIdle(streamId)) throw new FrameError(ErrorCode.PROTOCOL_ERROR, `DATA on idle stream ${streamId}`);
      return; // a closed stream (§5.4.2: it may have crossed our RST_STREAM)
    }
    if (frameBytes === 0 && !endStream) table.glitch(); // CVE-2019-9518: empty frames cost work and carry nothing
    if (s.remoteEnded) return table.streamError(s, ErrorCode.STREAM_CLOSED, 'DATA after END_STREAM');
    if (!this.session.isServer && !s.headReceived) return table.streamError(s, ErrorCode.PROTOCOL_ERROR, 'DATA before the response head');
    s.recvWindow -= frameBytes;
    if (s.recvWindow < 0) return table.streamError(s, ErrorCode.FLOW_CONTROL_ERROR, 'DATA beyond the stream window');
    s.recvUnacked += frameBytes;
    this.heldBytes += frameBytes;
    s.lastRecvAt = clock.now;
    this.current = s;
  }

  onDataBytes(buf: Buffer, start: number, end: number): void {
    const s = this.current;
    if (s === null) return;
    if (s.bodyLeft >= 0) {
      s.bodyLeft -= end - start;
      if (s.bodyLeft < 0) {
        this.current = null;
        return this.table.streamError(s, ErrorCode.PROTOCOL_ERROR, 'body longer than its content-length');
      }
    }
    const n = end - start;
    // A small payload for a reader that has data waiting already is gathered with others, not buffered
    // as a chunk of its own (a 1-byte DATA frame would otherwise cost ~100 bytes of heap).
    if (n < COALESCE_DATA_BELOW_BYTES && !s.readWanted && s.readableLength > 0) return this.holdSmall(s, buf, start, end);
    if (s.smallLen > 0) this.pushSmall(s);
    s.readWanted = false;
    if (!s.push(buf.subarray(start, end))) s.withheld = true;
  }

  onDataEnd(endStream: boolean): void {
    const s = this.current;
    this.current = null;
    if (s === null || !s.open) return;
    if (endStream) {
      if (s.bodyLeft > 0) return this.table.streamError(s, ErrorCode.PROTOCOL_ERROR, 'body shorter than its content-length');
      return this.remoteEnd(s);
    }
    if (!s.withheld && refreshDue(s.recvUnacked, this.streamWindowBytes)) this.giveBack(s);
  }

  /** The stream's reader wants more (_read): what was gathered goes to it, withheld window goes back. */
  readMore(s: H2Stream): void {
    if (s.smallLen > 0) this.pushSmall(s);
    else s.readWanted = true;
    if (!s.withheld) return;
    s.withheld = false;
    if (s.recvUnacked > 0 && s.open && !s.remoteEnded) this.giveBack(s);
  }

  /** END_STREAM from the peer: the readable side ends after what was gathered. */
  remoteEnd(s: H2Stream): void {
    s.remoteEnded = true;
    if (s.smallLen > 0) this.pushSmall(s);
    s.push(null);
    this.table.maybeClosed(s);
  }

  /** `s` closed: its unread bytes no longer count. */
  release(s: H2Stream): void {
    this.heldBytes -= s.recvUnacked;
    s.recvUnacked = 0;
  }

  private giveBack(s: H2Stream): void {
    this.session.out.windowUpdate(s.id, s.recvUnacked);
    s.recvWindow += s.recvUnacked;
    this.heldBytes -= s.recvUnacked;
    s.recvUnacked = 0;
  }

  private holdSmall(s: H2Stream, buf: Buffer, start: number, end: number): void {
    const n = end - start;
    if (s.small !== null && s.smallLen + n > s.small.length) this.pushSmall(s);
    if (s.small === null) s.small = Buffer.allocUnsafe(COALESCE_BUFFER_BYTES);
    buf.copy(s.small, s.smallLen, start, end);
    s.smallLen += n;
  }

  /** Hands the gathered small payloads to the reader as one chunk. */
  private pushSmall(s: H2Stream): void {
    const chunk = s.small!.subarray(0, s.smallLen);
    s.small = null; // the reader owns that memory now
    s.smallLen = 0;
    s.readWanted = false;
    if (!s.push(chunk)) s.withheld = true;
  }
}
