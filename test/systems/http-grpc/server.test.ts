import { request as h1request } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultServerOptions, type ServerMode } from '../../../src/systems/http-grpc/config.ts';
import { FUNC } from '../../../src/clients/http-grpc/builtins.ts';
import { BUILTINS, type Handler } from '../../../src/systems/http-grpc/functions.ts';
import { patternBytes } from '../../../src/wire/payload.ts';
import type { HandlerTable } from '../../../src/systems/http-grpc/server.ts';
import { type HttpGrpcListenOptions, startHttpGrpcServer } from '../../../src/systems/http-grpc/system.ts';
import type { Running } from '../../../src/systems/serve.ts';
import { encodeRequestFrame, encodeVarint, ResponseFrameDecoder, type ResponseFrame, U32_MAX } from '../../../src/wire/index.ts';
import { hex, toHex } from '../../helpers/chunks.ts';
import { postRaw } from '../../helpers/raw.ts';

const servers: Running[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(mode: ServerMode, http2: boolean, extra: Partial<HttpGrpcListenOptions> = {}, table?: HandlerTable): Promise<string> {
  const s = await startHttpGrpcServer({ ...defaultServerOptions(mode), host: '127.0.0.1', port: 0, http2, ...extra }, table);
  servers.push(s);
  return s.urls.http!;
}

const frame = (callId: number, funcId: number, payload: Uint8Array | string = new Uint8Array()) =>
  encodeRequestFrame(callId, funcId, typeof payload === 'string' ? new TextEncoder().encode(payload) : payload);
const sleepArgs = (ms: number, payload = 'z') => Buffer.concat([encodeVarint(ms), Buffer.from(payload)]);

function decodeAll(body: Uint8Array): ResponseFrame[] {
  const d = new ResponseFrameDecoder();
  const frames = d.write(body);
  expect(d.bufferedBytes, 'reply body ends on a frame boundary').toBe(0);
  return frames;
}

const matrix = (['compat', 'streaming'] as const).flatMap((mode) => [false, true].map((http2) => [mode, http2] as const));

describe.each(matrix)('http_grpc server, %s mode, h2c=%s', (mode, http2) => {
  it('answers every built-in and the no-reply frame for unknown ids', async () => {
    const url = await serve(mode, http2);
    const body = Buffer.concat([
      frame(1, FUNC.echo, 'hello'),
      frame(2, FUNC.sized, encodeVarint(300)),
      frame(3, FUNC.sleep, sleepArgs(5, 'slept')),
      frame(4, FUNC.cpu, encodeVarint(100)),
      frame(5, FUNC.fail, 'boom'),
      frame(6, FUNC.none),
      frame(7, 999),
      frame(8, FUNC.sized, hex('ff')), // truncated varint argument
    ]);
    const reply = await postRaw(url, body, { http2 });
    expect(reply.status).toBe(200);
    const byId = new Map(decodeAll(reply.body).map((f) => [f.callId, f]));
    expect(byId.size).toBe(8);
    expect(Buffer.from(byId.get(1)!.payload!).toString()).toBe('hello');
    expect(toHex(byId.get(2)!.payload!)).toBe(toHex(patternBytes(300)));
    expect(Buffer.from(byId.get(3)!.payload!).toString()).toBe('slept');
    expect(byId.get(4)!.code).toBe(0);
    expect(byId.get(4)!.payload!.length).toBe(0);
    expect(byId.get(5)!.code).toBe(500);
    expect(Buffer.from(byId.get(5)!.payload!).toString()).toBe('boom');
    expect(byId.get(6)).toMatchObject({ code: U32_MAX, payload: null });
    expect(byId.get(7)).toMatchObject({ code: U32_MAX, payload: null });
    expect(byId.get(8)!.code).toBe(400);
    expect(Buffer.from(byId.get(8)!.payload!).toString()).toMatch(/sized: args must start with a varint/);
  });

  it('sends replies in completion order and echoes call ids exactly as received', async () => {
    const url = await serve(mode, http2);
    const body = Buffer.concat([
      frame(1, FUNC.sleep, sleepArgs(120)),
      frame(2, FUNC.sleep, sleepArgs(60)),
      hex('83 80 00 01 01 61'), // call id 3, non-canonical, echo "a"
    ]);
    const reply = await postRaw(url, body, { http2 });
    const frames = decodeAll(reply.body);
    expect(frames.map((f) => f.callId)).toEqual([3, 2, 1]);
    expect(toHex(frames[0]!.callIdBytes)).toBe('838000');
    expect(toHex(reply.body.subarray(0, 6))).toBe('838000000161');
  });

  it('drops a partial trailing frame and still runs the complete ones', async () => {
    const url = await serve(mode, http2);
    const body = Buffer.concat([frame(1, FUNC.echo, 'x'), frame(2, FUNC.echo, 'yyyy').subarray(0, 5)]);
    const reply = await postRaw(url, body, { http2 });
    expect(reply.status).toBe(200);
    expect(decodeAll(reply.body).map((f) => f.callId)).toEqual([1]);
  });

  it('answers an empty body with an empty 200', async () => {
    const url = await serve(mode, http2);
    const reply = await postRaw(url, new Uint8Array(), { http2 });
    expect(reply.status).toBe(200);
    expect(reply.body.length).toBe(0);
  });

  it('refuses an overlength varint with 400 and a reason', async () => {
    const url = await serve(mode, http2);
    const reply = await postRaw(url, hex('ff ff ff ff ff 01 01 00'), { http2 });
    expect(reply.status).toBe(400);
    expect(reply.body.toString()).toMatch(/varint overlength/);
  });

  it('refuses a frame over the length limit with 413 before reading it', async () => {
    const url = await serve(mode, http2, { maxPayloadBytes: 1024 });
    // Declares 4 GiB - 1: a server that allocated first would crash or stall.
    const reply = await postRaw(url, hex('01 01 ff ff ff ff 0f 00 00'), { http2 });
    expect(reply.status).toBe(413);
    expect(reply.body.toString()).toMatch(/exceeds the limit of 1024 bytes/);
    // and the server is still there
    expect((await postRaw(url, frame(1, FUNC.echo, 'ok'), { http2 })).status).toBe(200);
  });

  it('refuses a body over the size limit with 413, declared or streamed', async () => {
    const url = await serve(mode, http2, { maxBodyBytes: 1000 });
    const big = frame(1, FUNC.echo, new Uint8Array(2000));
    const declared = await postRaw(url, big, { http2 });
    expect(declared.status).toBe(413);
    const streamed = await postRaw(url, [big.subarray(0, 600), big.subarray(600)], { http2 });
    expect(streamed.status).toBe(413);
    expect(streamed.body.toString()).toMatch(/exceeds the limit of 1000 bytes/);
  });

  it('refuses methods other than POST with 405', async () => {
    const url = await serve(mode, http2);
    const reply = await postRaw(url, new Uint8Array(), { http2, method: 'GET' });
    expect(reply.status).toBe(405);
    expect(reply.body.toString()).toMatch(/expects POST/);
  });

  it('ends the work of a client that disconnects mid-request, and keeps serving', async () => {
    let aborted = 0;
    let started = 0;
    const slow: Handler = (_args, ctx) =>
      new Promise((resolve) => {
        started++;
        const t = setTimeout(() => resolve(new Uint8Array()), 10_000);
        ctx.signal.addEventListener('abort', () => {
          aborted++;
          clearTimeout(t);
          resolve(undefined);
        });
      });
    const functions = [...BUILTINS];
    functions[50] = slow;
    const url = await serve(mode, http2, {}, { functions });
    const body = Buffer.concat([frame(1, 50), frame(2, 50)]);
    await disconnectAfterSending(url, http2, body, () => started === 2);
    await waitFor(() => aborted === 2);
    expect((await postRaw(url, frame(1, FUNC.echo, 'still here'), { http2 })).status).toBe(200);
  });
});

describe.each([false, true])('compat mode specifics, h2c=%s', (http2) => {
  it('allows 64 calls in one request and refuses the 65th with 400', async () => {
    const url = await serve('compat', http2);
    const frames = (n: number) => Buffer.concat(Array.from({ length: n }, (_, i) => frame(i, FUNC.echo, 'x')));
    const ok = await postRaw(url, frames(64), { http2 });
    expect(ok.status).toBe(200);
    expect(decodeAll(ok.body)).toHaveLength(64);
    const refused = await postRaw(url, frames(65), { http2 });
    expect(refused.status).toBe(400);
    expect(refused.body.toString()).toMatch(/^too many calls in one request/);
  });

  it('--max-calls 0 lifts the limit', async () => {
    const url = await serve('compat', http2, { maxCalls: 0 });
    const reply = await postRaw(url, Buffer.concat(Array.from({ length: 500 }, (_, i) => frame(i, FUNC.echo, 'x'))), { http2 });
    expect(decodeAll(reply.body)).toHaveLength(500);
  });

  it('starts no call before the whole body has arrived', async () => {
    let started = 0;
    const functions = [...BUILTINS];
    functions[50] = (args) => {
      started++;
      return args;
    };
    const url = await serve('compat', http2, {}, { functions });
    const ex = openExchange(url, http2);
    ex.write(frame(1, 50, 'a'));
    await new Promise((r) => setTimeout(r, 150));
    expect(started).toBe(0);
    ex.end(frame(2, 50, 'b'));
    const reply = await ex.reply;
    expect(started).toBe(2);
    expect(
      decodeAll(reply)
        .map((f) => f.callId)
        .sort(),
    ).toEqual([1, 2]);
  });
});

describe.each([false, true])('streaming mode specifics, h2c=%s', (http2) => {
  it('answers calls while the request body is still uploading', async () => {
    const url = await serve('streaming', http2);
    const ex = openExchange(url, http2);
    ex.write(frame(1, FUNC.echo, 'first'));
    const first = await ex.nextChunk();
    expect(decodeAll(first).map((f) => f.callId)).toEqual([1]);
    ex.write(frame(2, FUNC.echo, 'second'));
    const second = await ex.nextChunk();
    expect(decodeAll(second).map((f) => f.callId)).toEqual([2]);
    ex.end();
    await ex.reply;
  });

  it('has no 64-call cap: 5000 calls in one request', async () => {
    const url = await serve('streaming', http2);
    const n = 5000;
    const reply = await postRaw(url, Buffer.concat(Array.from({ length: n }, (_, i) => frame(i, FUNC.echo, 'x'))), { http2 });
    const ids = decodeAll(reply.body).map((f) => f.callId);
    expect(ids).toHaveLength(n);
    expect(new Set(ids).size).toBe(n);
  });

  it('bounds calls in flight by --max-inflight, not by refusing them', async () => {
    let running = 0;
    let peak = 0;
    const functions = [...BUILTINS];
    functions[50] = (args) => {
      running++;
      peak = Math.max(peak, running);
      return new Promise((resolve) =>
        setTimeout(() => {
          running--;
          resolve(args);
        }, 2),
      );
    };
    const url = await serve('streaming', http2, { maxInflight: 8 }, { functions });
    const n = 400;
    const reply = await postRaw(url, Buffer.concat(Array.from({ length: n }, (_, i) => frame(i, 50, 'x'))), { http2 });
    expect(decodeAll(reply.body)).toHaveLength(n);
    expect(peak).toBe(8);
  });

  it('stops reading the body while the client does not read replies (memory stays bounded)', async () => {
    let started = 0;
    const functions = [...BUILTINS];
    functions[50] = () => {
      started++;
      return patternBytes(64 * 1024);
    };
    const url = await serve('streaming', http2, {}, { functions });
    // 10,000 calls asking for 64 KiB each: 640 MiB of replies if the server ran them all regardless.
    const calls = 10_000;
    const body = Buffer.concat(Array.from({ length: calls }, (_, i) => frame(i, 50)));
    const stall = await sendWithoutReading(url, http2, body);
    await new Promise((r) => setTimeout(r, 500));
    const seen = started;
    await new Promise((r) => setTimeout(r, 300));
    expect(started).toBe(seen); // no progress while nobody reads
    expect(started).toBeLessThan(1000);
    stall.destroy();
  });

  it('refuses a malformed frame after replies went out by cutting the response short', async () => {
    const url = await serve('streaming', http2);
    const ex = openExchange(url, http2);
    ex.write(frame(1, FUNC.echo, 'fine'));
    await ex.nextChunk();
    ex.write(hex('ff ff ff ff ff 01'));
    await expect(ex.reply).rejects.toThrow();
  });
});

// --- helpers ---------------------------------------------------------------------------------------

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Exchange {
  write(b: Uint8Array): void;
  end(b?: Uint8Array): void;
  nextChunk(): Promise<Buffer>;
  reply: Promise<Buffer>;
}

/** A POST whose body the test writes piece by piece, reading reply chunks as they come. */
function openExchange(url: string, http2: boolean): Exchange {
  const chunks: Buffer[] = [];
  const waiters: ((b: Buffer) => void)[] = [];
  const onChunk = (c: Buffer) => {
    const w = waiters.shift();
    if (w) w(c);
    else chunks.push(c);
  };
  let write: (b: Uint8Array) => void;
  let end: (b?: Uint8Array) => void;
  const all: Buffer[] = [];
  const reply = new Promise<Buffer>((resolve, reject) => {
    if (http2) {
      const session = h2connect(url);
      session.on('error', reject);
      const stream = session.request({ ':method': 'POST', ':path': '/' });
      stream.on('data', (c: Buffer) => {
        all.push(c);
        onChunk(c);
      });
      stream.on('end', () => resolve(Buffer.concat(all)));
      stream.on('error', reject);
      stream.on('close', () => {
        session.close();
        if (stream.rstCode) reject(new Error(`stream reset ${stream.rstCode}`));
      });
      write = (b) => stream.write(b);
      end = (b) => stream.end(b);
    } else {
      const req = h1request(url, { method: 'POST', agent: false }, (res) => {
        res.on('data', (c: Buffer) => {
          all.push(c);
          onChunk(c);
        });
        res.on('end', () => resolve(Buffer.concat(all)));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('response aborted')));
      });
      req.on('error', reject);
      req.flushHeaders();
      write = (b) => req.write(b);
      end = (b) => (b ? req.end(b) : req.end());
    }
  });
  reply.catch(() => {});
  return {
    write: (b) => write(b),
    end: (b) => end(b),
    nextChunk: () => {
      const c = chunks.shift();
      return c ? Promise.resolve(c) : new Promise((r) => waiters.push(r));
    },
    reply,
  };
}

/** Sends a body and never reads the reply. */
async function sendWithoutReading(url: string, http2: boolean, body: Uint8Array): Promise<{ destroy(): void }> {
  if (http2) {
    // A small window and no reading: the server's writes stall once the client's buffers are full.
    const session = h2connect(url, { settings: { initialWindowSize: 65_535 } });
    session.on('error', () => {});
    const stream = session.request({ ':method': 'POST', ':path': '/' });
    stream.on('error', () => {});
    stream.pause();
    stream.write(body);
    return { destroy: () => session.destroy() };
  }
  const req = h1request(url, { method: 'POST', agent: false });
  req.on('error', () => {});
  req.on('response', (res) => res.pause());
  req.write(body);
  return { destroy: () => req.destroy() };
}

async function disconnectAfterSending(url: string, http2: boolean, body: Uint8Array, ready: () => boolean): Promise<void> {
  if (http2) {
    const session = h2connect(url);
    session.on('error', () => {});
    const stream = session.request({ ':method': 'POST', ':path': '/' });
    stream.on('error', () => {});
    stream.end(body);
    await waitFor(ready);
    session.destroy();
    return;
  }
  const req = h1request(url, { method: 'POST', agent: false });
  req.on('error', () => {});
  req.end(body);
  await waitFor(ready);
  req.destroy();
}
