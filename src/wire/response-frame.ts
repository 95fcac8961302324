/**
 * http_grpc response frames, one per call in completion order: `call_id varint(code) varint(len) payload`.
 * A handler that returns nothing (and an unknown func_id) is answered by `call_id varint(0xFFFFFFFF)` with
 * no length and no payload — the crate's README says "code 0, length 0", its code does this.
 */
import { IncrementalFrameDecoder } from './frame-decoder.ts';
import { encodeVarint, U32_MAX, varintLength, writeVarint } from './varint.ts';

/** The code of the no-reply frame, which has no length field. */
export const NO_REPLY_CODE = U32_MAX;
export const CODE_OK = 0;
/** The code the crate's convention gives a handler error; the payload is the UTF-8 message. */
export const CODE_HANDLER_ERROR = 500;

export class ResponseFrame {
  constructor(
    readonly callId: number,
    /** The call_id's bytes when they were not the canonical encoding of `callId`, else null. */
    readonly rawCallId: Uint8Array | null,
    readonly code: number,
    /** null for the no-reply frame */
    readonly payload: Uint8Array | null,
  ) {}

  get callIdBytes(): Uint8Array {
    return this.rawCallId ?? encodeVarint(this.callId);
  }
}

/** A call id as a number (written canonically) or as the exact bytes it arrived in. */
export type CallIdInput = number | Uint8Array;

function callIdLength(callId: CallIdInput): number {
  return typeof callId === 'number' ? varintLength(callId) : callId.length;
}

function writeCallId(callId: CallIdInput, target: Uint8Array, offset: number): number {
  if (typeof callId === 'number') return writeVarint(callId, target, offset);
  target.set(callId, offset);
  return offset + callId.length;
}

export function responseFrameLength(callId: CallIdInput, code: number, payloadLength: number): number {
  return responseHeaderLength(callId, code, payloadLength) + payloadLength;
}

export function noReplyFrameLength(callId: CallIdInput): number {
  return callIdLength(callId) + varintLength(NO_REPLY_CODE);
}

/** The bytes before the payload: call id, code, length. */
export function responseHeaderLength(callId: CallIdInput, code: number, payloadLength: number): number {
  return callIdLength(callId) + varintLength(code) + varintLength(payloadLength);
}

/** Writes only the header of a response frame, for senders that pass a large payload on without copying it. */
export function writeResponseHeader(target: Uint8Array, offset: number, callId: CallIdInput, code: number, payloadLength: number): number {
  if (code === NO_REPLY_CODE) throw new RangeError('code 0xFFFFFFFF is the no-reply frame: use writeNoReplyFrame');
  const at = writeCallId(callId, target, offset);
  return writeVarint(payloadLength, target, writeVarint(code, target, at));
}

export function writeResponseFrame(target: Uint8Array, offset: number, callId: CallIdInput, code: number, payload: Uint8Array): number {
  const at = writeResponseHeader(target, offset, callId, code, payload.length);
  target.set(payload, at);
  return at + payload.length;
}

export function writeNoReplyFrame(target: Uint8Array, offset: number, callId: CallIdInput): number {
  const at = writeCallId(callId, target, offset);
  return writeVarint(NO_REPLY_CODE, target, at);
}

export function encodeResponseFrame(callId: CallIdInput, code: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(responseFrameLength(callId, code, payload.length));
  writeResponseFrame(out, 0, callId, code, payload);
  return out;
}

export function encodeNoReplyFrame(callId: CallIdInput): Uint8Array {
  const out = new Uint8Array(noReplyFrameLength(callId));
  writeNoReplyFrame(out, 0, callId);
  return out;
}

export class ResponseFrameDecoder extends IncrementalFrameDecoder<ResponseFrame> {
  protected parseHeader(bytes: Uint8Array, pos: number, end: number): boolean {
    const at = this.parseIdAndSecond(bytes, pos, end);
    if (at < 0) return false;
    if (this.header.second === NO_REPLY_CODE) {
      this.header.payloadLength = -1;
      this.header.headerLength = at - pos;
      return true;
    }
    return this.parseLength(bytes, pos, at, end);
  }

  protected makeFrame(callId: number, rawCallId: Uint8Array | null, code: number, payload: Uint8Array | null): ResponseFrame {
    return new ResponseFrame(callId, rawCallId, code, payload);
  }
}
