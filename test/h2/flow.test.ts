/**
 * Flow-control bookkeeping (src/h2/flow.ts) at its boundaries: windows at exactly 2^31-1 and one past,
 * WINDOW_UPDATE of 0, SETTINGS_INITIAL_WINDOW_SIZE changes that drive windows negative and back, and the
 * connection receive window given back at exactly half.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, FrameError } from '../../src/h2/errors.ts';
import { ReceiveWindow, refreshDue, SendWindows, type SendWindowed, WINDOW_OK } from '../../src/h2/flow.ts';

const MAX = 2 ** 31 - 1;

function errorCodeOf(fn: () => void): number | null {
  try {
    fn();
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(FrameError);
    return (err as FrameError).errorCode;
  }
}

const stream = (id: number, sendWindow: number): SendWindowed => ({ id, sendWindow });

describe('SendWindows: the connection window', () => {
  it('starts at 65 535 (§6.9.2)', () => {
    const w = new SendWindows();
    expect(w.connectionBytes).toBe(65_535);
    expect(w.streamInitialBytes).toBe(65_535);
  });

  it('grows to exactly 2^31-1; one byte more is FLOW_CONTROL_ERROR', () => {
    const w = new SendWindows();
    w.growConnection(MAX - 65_535);
    expect(w.connectionBytes).toBe(MAX);
    expect(errorCodeOf(() => w.growConnection(1))).toBe(ErrorCode.FLOW_CONTROL_ERROR);
  });

  it('refuses a WINDOW_UPDATE of 0 with PROTOCOL_ERROR, leaving the window as it was', () => {
    const w = new SendWindows();
    expect(errorCodeOf(() => w.growConnection(0))).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(w.connectionBytes).toBe(65_535);
  });
});

describe('SendWindows: a stream window', () => {
  it('grows to exactly 2^31-1; past it the answer is a FLOW_CONTROL_ERROR stream error', () => {
    const w = new SendWindows();
    const s = stream(1, 65_535);
    expect(w.growStream(s, MAX - 65_535)).toBe(WINDOW_OK);
    expect(s.sendWindow).toBe(MAX);
    expect(w.growStream(s, 1)).toBe(ErrorCode.FLOW_CONTROL_ERROR);
  });

  it('answers a WINDOW_UPDATE of 0 with a PROTOCOL_ERROR stream error and leaves the window alone', () => {
    const w = new SendWindows();
    const s = stream(3, 100);
    expect(w.growStream(s, 0)).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(s.sendWindow).toBe(100);
  });

  it('allows the smallest of what is wanted, the stream window, the connection window and the frame size', () => {
    const w = new SendWindows();
    const s = stream(1, 1000);
    expect(w.allowance(s, 5000, 16_384)).toBe(1000);
    expect(w.allowance(s, 10, 16_384)).toBe(10);
    expect(w.allowance(s, 5000, 500)).toBe(500);
    w.spend(s, 1000);
    expect(s.sendWindow).toBe(0);
    expect(w.connectionBytes).toBe(64_535);
    expect(w.allowance(s, 5000, 16_384)).toBe(0);
    s.sendWindow = 100_000;
    expect(w.allowance(s, 100_000, 100_000)).toBe(64_535); // the connection window binds now
  });
});

describe('SendWindows: SETTINGS_INITIAL_WINDOW_SIZE (§6.9.2)', () => {
  it('shifts every open stream by the difference, below zero too, and back', () => {
    const w = new SendWindows();
    const a = stream(1, 65_535);
    const b = stream(3, 10); // has sent most of its window
    w.setStreamInitial(1000, [a, b]);
    expect(w.streamInitialBytes).toBe(1000);
    expect([a.sendWindow, b.sendWindow]).toEqual([1000, 10 - 64_535]);
    expect(w.allowance(b, 1, 16_384)).toBeLessThanOrEqual(0); // a negative window sends nothing
    w.setStreamInitial(65_535, [a, b]);
    expect([a.sendWindow, b.sendWindow]).toEqual([65_535, 10]);
  });

  it('leaves the connection window alone', () => {
    const w = new SendWindows();
    w.setStreamInitial(0, [stream(1, 65_535)]);
    expect(w.connectionBytes).toBe(65_535);
  });

  it('takes a stream to exactly 2^31-1; a change that pushes one past it is FLOW_CONTROL_ERROR', () => {
    const w = new SendWindows();
    const s = stream(1, 65_535);
    w.setStreamInitial(MAX, [s]);
    expect(s.sendWindow).toBe(MAX);
    const w2 = new SendWindows();
    const grown = stream(5, 65_536); // a WINDOW_UPDATE gave it one byte more than the initial window
    expect(errorCodeOf(() => w2.setStreamInitial(MAX, [grown]))).toBe(ErrorCode.FLOW_CONTROL_ERROR);
  });

  it('does nothing to the streams when the value does not change', () => {
    const w = new SendWindows();
    const s = stream(1, 5);
    w.setStreamInitial(65_535, [s]);
    expect(s.sendWindow).toBe(5);
  });

  it('gives new streams the new value', () => {
    const w = new SendWindows();
    w.setStreamInitial(0, []);
    expect(w.streamInitialBytes).toBe(0);
  });
});

describe('ReceiveWindow', () => {
  it('opens from 65 535 to its size with one WINDOW_UPDATE, none when it is 65 535', () => {
    expect(new ReceiveWindow(65_535).openingIncrement).toBe(0);
    expect(new ReceiveWindow(1 << 20).openingIncrement).toBe((1 << 20) - 65_535);
    expect(new ReceiveWindow(MAX).openingIncrement).toBe(MAX - 65_535);
  });

  it('gives nothing back below half of a small window, then everything received at exactly half', () => {
    const w = new ReceiveWindow(1000);
    expect(w.receive(499)).toBe(0);
    expect(w.receive(1)).toBe(500);
    expect(w.receive(499)).toBe(0); // the count started over
    expect(w.receive(10)).toBe(509);
  });

  it('with an odd size, gives back once the received bytes reach half rounded up', () => {
    const w = new ReceiveWindow(4001);
    expect(w.receive(2000)).toBe(0);
    expect(w.receive(1)).toBe(2001);
  });

  it("on a window over 8 KiB, gives back every 4 KiB (Go's rule): nothing is stranded at the end of a burst", () => {
    const w = new ReceiveWindow(65_535);
    expect(w.receive(4095)).toBe(0);
    expect(w.receive(1)).toBe(4096);
    const big = new ReceiveWindow(1 << 20);
    expect(big.receive(16_384)).toBe(16_384);
    expect(refreshDue(4095, 1 << 20)).toBe(false);
    expect(refreshDue(4096, 1 << 20)).toBe(true);
    expect(refreshDue(0, 0)).toBe(false);
  });

  it('counts empty frames as nothing', () => {
    const w = new ReceiveWindow(1000);
    expect(w.receive(0)).toBe(0);
  });

  it('takes the whole window in one frame, and refuses one byte beyond it (FLOW_CONTROL_ERROR)', () => {
    const w = new ReceiveWindow(1000);
    expect(w.receive(1000)).toBe(1000); // given back at once, so the window is whole again
    const full = new ReceiveWindow(1000);
    expect(errorCodeOf(() => full.receive(1001))).toBe(ErrorCode.FLOW_CONTROL_ERROR);
  });

  it('refuses DATA past what the peer was allowed since the last WINDOW_UPDATE', () => {
    const w = new ReceiveWindow(1000);
    expect(w.receive(400)).toBe(0);
    expect(errorCodeOf(() => w.receive(601))).toBe(ErrorCode.FLOW_CONTROL_ERROR);
  });

  it('tracks a window of 2^31-1 without losing bytes', () => {
    const w = new ReceiveWindow(MAX);
    expect(w.receive(4095)).toBe(0);
    expect(w.receive(2 ** 30 - 4095)).toBe(2 ** 30); // all of it back at once
    expect(w.receive(MAX)).toBe(MAX);
  });
});
