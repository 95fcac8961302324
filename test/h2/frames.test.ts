/**
 * The frame reader over literal frame bytes, fed whole, byte by byte and split at every offset: the
 * events (and the DATA bytes, padding stripped) must be the same however the bytes arrive.
 */
import { describe, expect, it } from 'vitest';
import {
  type FrameHandler,
  FrameError,
  FrameReader,
  goawayFrame,
  pingAckFrame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
} from '../../src/h2/frames.ts';
import { chunkings, hex, toHex } from '../helpers/chunks.ts';

class Recorder implements FrameHandler {
  events: string[] = [];
  private data: Buffer[] = [];
  onFrame(type: number, flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
    this.events.push(`frame type=${type} flags=${flags} stream=${streamId} payload=${toHex(buf.subarray(start, end))}`);
  }
  onDataStart(streamId: number, frameBytes: number, endStream: boolean): void {
    this.events.push(`data-start stream=${streamId} bytes=${frameBytes} end=${endStream}`);
  }
  onDataBytes(buf: Buffer, start: number, end: number): void {
    this.data.push(Buffer.from(buf.subarray(start, end)));
  }
  onDataEnd(endStream: boolean): void {
    this.events.push(`data-end body=${toHex(Buffer.concat(this.data))} end=${endStream}`);
    this.data = [];
  }
}

// SETTINGS (MAX_CONCURRENT_STREAMS=100, INITIAL_WINDOW_SIZE=65535)
const SETTINGS = '00000c040000000000' + '000300000064' + '00040000ffff';
// HEADERS stream 1, END_HEADERS|PADDED|PRIORITY: pad length 2, priority (5 octets), block 88 (":status 200"), padding
const HEADERS = '000009012c00000001' + '02' + '8000000310' + '88' + '0000';
// DATA stream 1, PADDED, no END_STREAM: pad length 3, "hello", padding
const DATA_PADDED = '000009000800000001' + '03' + '68656c6c6f' + '000000';
// DATA stream 1, END_STREAM, empty
const DATA_EMPTY_END = '000000000100000001';
// DATA stream 3, END_STREAM, "hi"
const DATA_END = '000002000100000003' + '6869';
// PING
const PING = '000008060000000000' + '0102030405060708';
// unknown frame type 0xfa, 3 octets
const UNKNOWN = '000003fa0000000005' + 'aabbcc';
// DATA stream 5, PADDED with only padding (pad length 4, no body), END_STREAM
const DATA_ONLY_PADDING = '000005000900000005' + '04' + '00000000';

const STREAM = hex(SETTINGS + HEADERS + DATA_PADDED + DATA_EMPTY_END + DATA_END + PING + UNKNOWN + DATA_ONLY_PADDING);
const EXPECTED = [
  'frame type=4 flags=0 stream=0 payload=00030000006400040000ffff',
  'frame type=1 flags=44 stream=1 payload=028000000310880000',
  'data-start stream=1 bytes=9 end=false',
  'data-end body=68656c6c6f end=false',
  'data-start stream=1 bytes=0 end=true',
  'data-end body= end=true',
  'data-start stream=3 bytes=2 end=true',
  'data-end body=6869 end=true',
  'frame type=6 flags=0 stream=0 payload=0102030405060708',
  'frame type=250 flags=0 stream=5 payload=aabbcc',
  'data-start stream=5 bytes=5 end=true',
  'data-end body= end=true',
];

describe('FrameReader', () => {
  for (const { name, chunks } of chunkings(STREAM)) {
    it(`reads the same frames fed ${name}`, () => {
      const r = new Recorder();
      const reader = new FrameReader(r);
      for (const c of chunks) reader.push(Buffer.from(c));
      expect(r.events).toEqual(EXPECTED);
    });
  }

  it('refuses a frame larger than SETTINGS_MAX_FRAME_SIZE before buffering it', () => {
    const reader = new FrameReader(new Recorder());
    expect(() => reader.push(Buffer.from(hex('004001000000000001')))).toThrow(FrameError); // 16 385 octets
  });

  it('refuses DATA whose padding is not shorter than the frame', () => {
    const reader = new FrameReader(new Recorder());
    expect(() => reader.push(Buffer.from(hex('000002000800000001' + '0200')))).toThrow(/padding/);
  });

  it('refuses DATA on stream 0', () => {
    const reader = new FrameReader(new Recorder());
    expect(() => reader.push(Buffer.from(hex('000001000000000000' + '00')))).toThrow(/stream 0/);
  });

  it('stops at halt(): nothing more is delivered', () => {
    const r = new Recorder();
    const reader = new FrameReader({
      ...r,
      onFrame: (...args) => {
        r.onFrame(...args);
        reader.halt();
      },
      onDataStart: r.onDataStart.bind(r),
      onDataBytes: r.onDataBytes.bind(r),
      onDataEnd: r.onDataEnd.bind(r),
    });
    reader.push(Buffer.from(hex(PING + PING)));
    expect(r.events).toHaveLength(1);
  });
});

describe('frames the client writes', () => {
  it.each([
    ['SETTINGS ENABLE_PUSH=0', settingsFrame([[2, 0]]), '000006040000000000' + '000200000000'],
    ['WINDOW_UPDATE', windowUpdateFrame(0, 16_711_681), '000004080000000000' + '00ff0001'],
    ['RST_STREAM CANCEL', rstStreamFrame(7, 8), '000004030000000007' + '00000008'],
    ['PING ACK', pingAckFrame(hex('0102030405060708')), '000008060100000000' + '0102030405060708'],
    ['GOAWAY', goawayFrame(0, 0), '000008070000000000' + '0000000000000000'],
  ])('%s', (_, frame, bytes) => {
    expect(toHex(frame)).toBe(bytes);
  });
});
