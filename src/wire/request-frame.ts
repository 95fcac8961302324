/**
 * http_grpc request frames: `varint(call_id) varint(func_id) varint(len) payload[len]`, back to back in the
 * POST body, free to straddle body chunks anywhere.
 */
import { IncrementalFrameDecoder } from './frame-decoder.ts';
import { encodeVarint, varintLength, writeVarint } from './varint.ts';

/** The crate's MAX_CALL: a 65th complete frame in one request is refused with HTTP 400. */
export const CRATE_MAX_CALLS_PER_REQUEST = 64;

export class RequestFrame {
  constructor(
    readonly callId: number,
    /** The call_id's bytes when they were not the canonical encoding of `callId`, else null. */
    readonly rawCallId: Uint8Array | null,
    readonly funcId: number,
    readonly payload: Uint8Array,
  ) {}

  /** The call_id exactly as received (it may be a non-canonical encoding). */
  get callIdBytes(): Uint8Array {
    return this.rawCallId ?? encodeVarint(this.callId);
  }

  /** What a reply frame must carry as its call id: the received bytes, written without allocating. */
  get replyCallId(): number | Uint8Array {
    return this.rawCallId ?? this.callId;
  }
}

export function requestFrameLength(callId: number, funcId: number, payloadLength: number): number {
  return varintLength(callId) + varintLength(funcId) + varintLength(payloadLength) + payloadLength;
}

/** Writes one request frame at `offset` (the caller sized `target`); returns the offset after it. */
export function writeRequestFrame(target: Uint8Array, offset: number, callId: number, funcId: number, payload: Uint8Array): number {
  let at = writeVarint(callId, target, offset);
  at = writeVarint(funcId, target, at);
  at = writeVarint(payload.length, target, at);
  target.set(payload, at);
  return at + payload.length;
}

export function encodeRequestFrame(callId: number, funcId: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(requestFrameLength(callId, funcId, payload.length));
  writeRequestFrame(out, 0, callId, funcId, payload);
  return out;
}

export class RequestFrameDecoder extends IncrementalFrameDecoder<RequestFrame> {
  protected parseHeader(bytes: Uint8Array, pos: number, end: number): boolean {
    const at = this.parseIdAndSecond(bytes, pos, end);
    return at >= 0 && this.parseLength(bytes, pos, at, end);
  }

  protected makeFrame(callId: number, rawCallId: Uint8Array | null, funcId: number, payload: Uint8Array | null): RequestFrame {
    return new RequestFrame(callId, rawCallId, funcId, payload!);
  }
}
