/**
 * A session's incoming header blocks: decoded (always — HPACK state must follow the peer's encoder, even
 * for streams already gone) and judged per RFC 9113 §8: a response head or trailers on a stream of ours,
 * or, server role, a request that opens a peer stream. Streams a read opens are handed to the application
 * only once that read is processed, so a stream the peer resets in the same read never reaches it.
 */
import { ErrorCode, FrameError } from './errors.ts';
import { BlockKind, contentLengthOf, FieldCollector, requestProblem, responseStatus } from './fields.ts';
import { DEFAULT_HEADER_TABLE_SIZE, HpackDecoder } from './hpack.ts';
import { HeaderBlockReader } from './inbound.ts';
import { DEFAULT_MAX_CONTINUATION_FRAMES, DEFAULT_MAX_HEADER_BLOCK_BYTES } from './limits.ts';
import type { H2Session, SessionOptions } from './session.ts';
import type { StreamTable } from './session-streams.ts';
import { H2Stream } from './stream.ts';
import { clock } from './sweep.ts';

export class HeadReceiver {
  readonly blocks: HeaderBlockReader;
  private readonly decoder: HpackDecoder;
  private readonly fields = new FieldCollector();
  /** server role: streams opened by the read being processed, handed to onStream at its end */
  private readonly arrived: H2Stream[] = [];

  constructor(
    private readonly session: H2Session,
    private readonly table: StreamTable,
    private readonly options: SessionOptions,
    maxHeaderListBytes: number,
  ) {
    this.decoder = new HpackDecoder(DEFAULT_HEADER_TABLE_SIZE, maxHeaderListBytes);
    this.blocks = new HeaderBlockReader(
      (id, end, buf, start, stop, badPriority) => this.onHeaderBlock(id, end, buf, start, stop, badPriority),
      options.maxHeaderBlockBytes ?? DEFAULT_MAX_HEADER_BLOCK_BYTES,
      options.maxContinuationFrames ?? DEFAULT_MAX_CONTINUATION_FRAMES,
    );
  }

  /** Streams this read opened wait to be handed over. */
  get anyArrived(): boolean {
    return this.arrived.length > 0;
  }

  private onHeaderBlock(streamId: number, endStream: boolean, buf: Buffer, start: number, end: number, badPriority: boolean): void {
    const s = this.table.streams.get(streamId);
    const collector = this.fields;
    const { ids } = this.table;
    const isServer = this.session.isServer;
    if (s === undefined) {
      if (isServer && ids.isPeers(streamId) && streamId > ids.lastPeer) {
        collector.begin(BlockKind.Request);
        this.decoder.decode(buf, start, end, collector.sink);
        return this.openPeerStream(streamId, endStream, badPriority);
      }
      // Decoded even for streams already gone: the dynamic table must follow the peer's encoder.
      this.decoder.decode(buf, start, end, null);
      if (!ids.isPeers(streamId)) {
        // §5.1.1, §8.4: a server never sees even ids from a client; a client only answers on its own streams
        if (isServer || ids.isIdle(streamId)) throw new FrameError(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${streamId}, which the peer may not open`);
        return; // a response crossing this side's RST_STREAM
      }
      if (!isServer) throw new FrameError(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${streamId}: push is disabled`);
      // §5.1.1: a new stream must have a higher id than every earlier one; late frames on a stream this
      // side reset are ignored (§5.4.2)
      if (ids.wasResetRecently(streamId)) return;
      throw new FrameError(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${streamId}, not above the last stream ${ids.lastPeer}`);
    }
    const table = this.table;
    const kind = isServer || s.headReceived ? BlockKind.Trailers : BlockKind.Response;
    collector.begin(kind);
    this.decoder.decode(buf, start, end, collector.sink);
    if (s.remoteEnded) return table.streamError(s, ErrorCode.STREAM_CLOSED, 'HEADERS after END_STREAM');
    if (this.decoder.overflowed) return table.streamError(s, ErrorCode.ENHANCE_YOUR_CALM, 'header list larger than SETTINGS_MAX_HEADER_LIST_SIZE');
    if (badPriority) return table.streamError(s, ErrorCode.PROTOCOL_ERROR, 'stream depends on itself (§5.3.1)');
    if (collector.problem !== null)
      return table.streamError(s, ErrorCode.PROTOCOL_ERROR, `malformed ${kind === BlockKind.Response ? 'response' : 'trailers'}: ${collector.problem}`);
    const fields = collector.fields;
    if (kind === BlockKind.Response) {
      const status = responseStatus(fields);
      if (status < 0) return table.streamError(s, ErrorCode.PROTOCOL_ERROR, 'response without a valid :status');
      if (status < 200) {
        if (endStream || status === 101) return table.streamError(s, ErrorCode.PROTOCOL_ERROR, `malformed informational response ${status}`);
        return; // informational; the final head follows
      }
      s.headReceived = true;
      s.emit('response', fields, endStream);
    } else {
      if (!endStream) return table.streamError(s, ErrorCode.PROTOCOL_ERROR, 'trailers without END_STREAM');
      if (s.bodyLeft > 0) return table.streamError(s, ErrorCode.PROTOCOL_ERROR, 'body shorter than its content-length');
      if (s.delivered) s.emit('trailers', fields);
      else s.pendingTrailers = fields;
    }
    if (endStream) this.session.body.remoteEnd(s);
  }

  /** Server role: a HEADERS frame opened stream `streamId`; its block is in the collector. */
  private openPeerStream(streamId: number, endStream: boolean, badPriority: boolean): void {
    const table = this.table;
    const session = this.session;
    table.ids.lastPeer = streamId;
    if (this.decoder.overflowed) return this.refuseHeadTooLarge(streamId, endStream);
    if (badPriority) return table.refuse(streamId, ErrorCode.PROTOCOL_ERROR);
    // §5.1.2 beyond the advertised limit; beyond the memory bound; after GOAWAY
    if (!session.isOpen || table.size >= session.localMaxStreams) return table.refuse(streamId, ErrorCode.REFUSED_STREAM);
    if (session.body.overMemoryLimit) return table.refuse(streamId, ErrorCode.ENHANCE_YOUR_CALM);
    const fields = this.fields.fields;
    // §8.1.1: a malformed request is a stream error of type PROTOCOL_ERROR, never handed on
    const problem = this.fields.problem ?? requestProblem(fields, this.options.enableConnectProtocol === true);
    const contentLength = contentLengthOf(fields);
    if (problem !== null || Number.isNaN(contentLength) || (endStream && contentLength > 0)) return table.refuse(streamId, ErrorCode.PROTOCOL_ERROR);
    const s = new H2Stream(session, streamId, session.sender.windows.streamInitialBytes, session.body.streamWindowBytes);
    table.add(s);
    s.delivered = false;
    s.head = fields;
    s.headEnded = endStream;
    s.bodyLeft = contentLength;
    s.lastRecvAt = clock.now;
    if (endStream) {
      s.remoteEnded = true;
      s.push(null);
    }
    this.arrived.push(s);
  }

  /** §10.5.1 / RFC 6585: a request head past SETTINGS_MAX_HEADER_LIST_SIZE is answered 431, not decoded further. */
  private refuseHeadTooLarge(streamId: number, endStream: boolean): void {
    this.session.sender.sendStatus431(streamId);
    // §8.1: the response is complete; whatever body the client still sends is not wanted
    if (!endStream) this.table.refuse(streamId, ErrorCode.NO_ERROR);
    else {
      this.table.ids.noteReset(streamId);
      this.table.glitch();
    }
  }

  /**
   * Hands the streams this read opened to the application — those the peer did not reset or break in
   * the same read: a stream cancelled before it was handed on is never forwarded anywhere (rapid reset).
   */
  deliverArrived(): void {
    const arrived = this.arrived;
    const session = this.session;
    for (let i = 0; i < arrived.length && !session.closed; i++) {
      const s = arrived[i]!;
      if (!s.open) continue;
      const head = s.head!;
      s.head = null;
      s.delivered = true;
      this.options.onStream?.(s, head, s.headEnded);
      if (s.pendingTrailers !== null) {
        s.emit('trailers', s.pendingTrailers);
        s.pendingTrailers = null;
      }
    }
    arrived.length = 0;
  }

  /** The session is gone: nothing is handed over any more. */
  clear(): void {
    this.arrived.length = 0;
  }
}
