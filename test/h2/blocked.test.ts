/**
 * The blocked-stream pump (src/h2/blocked.ts): a stream parks once, a pump gives every parked stream one
 * more go oldest first, a stream that still finds no window parks again for the next pump, and streams
 * that ended meanwhile are skipped by the owner.
 */
import { describe, expect, it } from 'vitest';
import { type Blockable, type BlockedOwner, BlockedStreams } from '../../src/h2/blocked.ts';

class Stream implements Blockable {
  blocked = false;
  ended = false;
  constructor(readonly id: number) {}
}

/** Sends what the window allows: every stream needs one unit; `window` units are there per pump. */
class Owner implements BlockedOwner<Stream> {
  resumed: number[] = [];
  window = 0;
  readonly waiting = new BlockedStreams<Stream>(this);
  resumeBlocked(s: Stream): void {
    expect(s.blocked).toBe(false); // marked unblocked before its go
    if (s.ended) return;
    this.resumed.push(s.id);
    if (this.window > 0) this.window--;
    else this.waiting.park(s);
  }
}

describe('BlockedStreams', () => {
  it('parks a stream once, however often it finds no window', () => {
    const o = new Owner();
    const s = new Stream(1);
    expect(o.waiting.park(s)).toBe(true);
    expect(o.waiting.park(s)).toBe(false);
    expect(s.blocked).toBe(true);
    expect(o.waiting.size).toBe(1);
  });

  it('pumps nothing, and says so, when nothing waits', () => {
    expect(new Owner().waiting.pump()).toBe(false);
  });

  it('gives every parked stream one go, oldest first; those that still find no window wait for the next pump', () => {
    const o = new Owner();
    const streams = [1, 3, 5].map((id) => new Stream(id));
    for (const s of streams) o.waiting.park(s);
    o.window = 2;
    expect(o.waiting.pump()).toBe(true);
    expect(o.resumed).toEqual([1, 3, 5]);
    expect(streams.map((s) => s.blocked)).toEqual([false, false, true]);
    expect(o.waiting.size).toBe(1); // parked again during the pump, not resumed twice
    o.resumed = [];
    o.window = 1;
    o.waiting.pump();
    expect(o.resumed).toEqual([5]);
    expect(o.waiting.size).toBe(0);
  });

  it('leaves it to the owner to skip streams that ended while they waited', () => {
    const o = new Owner();
    const a = new Stream(1);
    const b = new Stream(3);
    o.waiting.park(a);
    o.waiting.park(b);
    a.ended = true;
    o.window = 5;
    o.waiting.pump();
    expect(o.resumed).toEqual([3]);
    expect(a.blocked).toBe(false);
  });

  it('forgets every parked stream on clear', () => {
    const o = new Owner();
    o.waiting.park(new Stream(1));
    o.waiting.clear();
    expect(o.waiting.size).toBe(0);
    expect(o.waiting.pump()).toBe(false);
  });
});
