/**
 * When frames go out (src/h2/write-scheduler.ts), over a real socket pair: frames produced during a read
 * wait for the read's end, frames produced outside one go out together once per turn — before the next
 * setImmediate for a load generator (AfterCallback), after this turn's I/O for the session (AfterIo) — and
 * a failing write outside a read reaches the owner instead of throwing into the event loop.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { goawayFrame, rstStreamFrame, windowUpdateFrame } from '../../src/h2/frames.ts';
import { FlushTurn, WriteScheduler } from '../../src/h2/write-scheduler.ts';

let server: Server;
let client: Socket;
let peer: Socket;
let received: Buffer[];

beforeEach(async () => {
  received = [];
  server = createServer();
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  client = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => client.once('connect', resolve));
  peer = await accepted;
  peer.on('data', (chunk: Buffer) => received.push(chunk));
});

afterEach(async () => {
  client.destroy();
  peer.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
const nextImmediate = () => new Promise((resolve) => setImmediate(resolve));

describe('WriteScheduler', () => {
  it('writes the frames of one turn once, after the turn, in order', async () => {
    const out = new WriteScheduler(client, FlushTurn.AfterCallback, () => {});
    const write = vi.spyOn(client, 'write');
    out.rstStream(1, 8);
    out.windowUpdate(0, 1000);
    out.append(goawayFrame(0, 0));
    expect(write).not.toHaveBeenCalled();
    await nextImmediate();
    expect(write).toHaveBeenCalledTimes(1); // one slab segment, one syscall
    await settle();
    expect(Buffer.concat(received)).toEqual(Buffer.concat([rstStreamFrame(1, 8), windowUpdateFrame(0, 1000), goawayFrame(0, 0)]));
  });

  it('AfterCallback flushes before the next setImmediate; AfterIo only after it', async () => {
    const early = new WriteScheduler(client, FlushTurn.AfterCallback, () => {});
    const late = new WriteScheduler(peer, FlushTurn.AfterIo, () => {});
    const earlyWrite = vi.spyOn(client, 'write');
    const lateWrite = vi.spyOn(peer, 'write');
    early.rstStream(1, 8);
    late.rstStream(2, 8);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(earlyWrite).toHaveBeenCalledTimes(1);
    expect(lateWrite).not.toHaveBeenCalled();
    await nextImmediate();
    expect(lateWrite).toHaveBeenCalledTimes(1);
  });

  it('holds frames produced during a read until the owner flushes at its end', async () => {
    const out = new WriteScheduler(client, FlushTurn.AfterCallback, () => {});
    const write = vi.spyOn(client, 'write');
    out.beginRead();
    out.rstStream(1, 8);
    out.schedule();
    out.endRead();
    await nextImmediate();
    expect(write).not.toHaveBeenCalled(); // no turn was scheduled during the read
    out.flush();
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('schedules one flush per turn, however many frames', async () => {
    const out = new WriteScheduler(client, FlushTurn.AfterIo, () => {});
    const flush = vi.spyOn(out, 'flush');
    for (let i = 0; i < 100; i++) out.rstStream(2 * i + 1, 8);
    await nextImmediate();
    expect(flush).toHaveBeenCalledTimes(1);
    await settle();
    expect(Buffer.concat(received).length).toBe(100 * 13);
  });

  it('hands a failing write outside a read to the owner', async () => {
    const errors: unknown[] = [];
    const out = new WriteScheduler(client, FlushTurn.AfterCallback, (err) => errors.push(err));
    vi.spyOn(client, 'write').mockImplementation(() => {
      throw new Error('write failed');
    });
    out.rstStream(1, 8);
    await nextImmediate();
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('write failed');
  });

  it('writes nothing once the socket is gone', async () => {
    const out = new WriteScheduler(client, FlushTurn.AfterCallback, () => {});
    client.destroy();
    out.rstStream(1, 8);
    await settle();
    expect(received).toHaveLength(0);
  });
});
