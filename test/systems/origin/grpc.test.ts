/** The gRPC origin called by a real @grpc/grpc-js client built from the exported definition. */
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPattern, patternBytes } from '../../../src/wire/payload.ts';
import { createEchoClient, type EchoClient, type EchoReply } from '../../../src/clients/grpc-echo.ts';
import { MAX_STREAM_REPLIES, startGrpcEcho } from '../../../src/systems/origin/grpc-echo.ts';
import type { Running } from '../../../src/systems/serve.ts';

let origin: Running;
let client: EchoClient;

beforeAll(async () => {
  origin = await startGrpcEcho('127.0.0.1', 0);
  expect(origin.urls.grpc).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  client = createEchoClient(origin.urls.grpc!);
});
afterAll(async () => {
  client?.close();
  await origin?.close();
});

function unary(payload: Uint8Array): Promise<EchoReply> {
  return new Promise((resolve, reject) => client.unary({ payload }, (err, reply) => (err ? reject(err) : resolve(reply!))));
}

function fail(code: number, message: string): Promise<grpc.ServiceError> {
  return new Promise((resolve, reject) =>
    client.fail({ code, message }, (err, reply) => (err ? resolve(err) : reject(new Error(`Fail answered ${JSON.stringify(reply)}`)))),
  );
}

/** Collects a ServerStream call's replies, or rejects with its error status. */
function collect(call: grpc.ClientReadableStream<EchoReply>): Promise<EchoReply[]> {
  return new Promise((resolve, reject) => {
    const replies: EchoReply[] = [];
    call.on('data', (r: EchoReply) => replies.push(r));
    call.on('error', reject);
    call.on('end', () => resolve(replies));
  });
}

describe('gRPC origin (muxbench.origin.Echo)', () => {
  it('Unary echoes the payload with index 0', async () => {
    const payload = Buffer.from([0, 1, 2, 250, 255]);
    const reply = await unary(payload);
    expect(Buffer.isBuffer(reply.payload)).toBe(true);
    expect(reply.payload.equals(payload)).toBe(true);
    expect(reply.index).toBe(0);
  });

  it('Unary echoes an empty payload and one larger than the 4 MiB grpc-js default', async () => {
    expect((await unary(new Uint8Array(0))).payload.length).toBe(0);
    const big = patternBytes(6 * 1024 * 1024 + 1);
    const reply = await unary(big);
    expect(reply.payload.length).toBe(big.length);
    expect(isPattern(reply.payload)).toBe(true);
  });

  it('ServerStream sends count replies, indexes in order, each with the payload', async () => {
    const payload = Buffer.from('tick');
    const replies = await collect(client.serverStream({ payload, count: 50 }));
    expect(replies.map((r) => r.index)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    for (const r of replies) expect(r.payload.toString()).toBe('tick');
  });

  it('ServerStream with count 0 ends with no replies', async () => {
    expect(await collect(client.serverStream({ count: 0 }))).toEqual([]);
  });

  it('ServerStream keeps interval_ms between replies', async () => {
    const started = performance.now();
    const replies = await collect(client.serverStream({ payload: Buffer.from('x'), count: 3, intervalMs: 150 }));
    expect(replies.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('ServerStream delivers every large reply to a client that reads slowly (backpressure, no loss)', async () => {
    const payload = patternBytes(256 * 1024);
    const call = client.serverStream({ payload, count: 64 });
    const replies: EchoReply[] = [];
    await new Promise<void>((resolve, reject) => {
      call.on('data', (r: EchoReply) => {
        replies.push(r);
        if (r.index % 16 === 0) {
          call.pause();
          setTimeout(() => call.resume(), 20);
        }
      });
      call.on('error', reject);
      call.on('end', resolve);
    });
    expect(replies.map((r) => r.index)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    for (const r of replies) expect(r.payload.length === payload.length && isPattern(r.payload)).toBe(true);
  });

  it(`ServerStream refuses more than ${MAX_STREAM_REPLIES} replies with INVALID_ARGUMENT`, async () => {
    const err = (await collect(client.serverStream({ count: MAX_STREAM_REPLIES + 1 })).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/count 100001 exceeds the limit of 100000/);
  });

  it('ServerStream stops when the client cancels, and the server keeps serving', async () => {
    const call = client.serverStream({ payload: Buffer.from('x'), count: 1000, intervalMs: 10 });
    const seen: number[] = [];
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      call.on('data', (r: EchoReply) => {
        seen.push(r.index);
        if (seen.length === 3) call.cancel();
      });
      call.on('error', resolve);
    });
    expect(err.code).toBe(grpc.status.CANCELLED);
    expect(seen.slice(0, 3)).toEqual([0, 1, 2]);
    expect((await unary(Buffer.from('still here'))).payload.toString()).toBe('still here');
  });

  it('Fail ends with the asked status code and the message as details', async () => {
    const err = await fail(5, 'no such thing');
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.details).toBe('no such thing');
    const unavailable = await fail(14, 'try later');
    expect(unavailable.code).toBe(grpc.status.UNAVAILABLE);
    expect(unavailable.details).toBe('try later');
  });

  it.each([0, 17, 500])('Fail with code %i (not an error status) ends with INVALID_ARGUMENT', async (code) => {
    const err = await fail(code, 'boom');
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(new RegExp(`code ${code} is not a gRPC error status .*'boom'`));
  });
});

describe('createEchoClient targets', () => {
  it('takes host:port as well as the http:// URL of a ready line', async () => {
    const other = createEchoClient(new URL(origin.urls.grpc!).host);
    try {
      const reply = await new Promise<EchoReply>((resolve, reject) =>
        other.unary({ payload: Buffer.from('hi') }, (err, r) => (err ? reject(err) : resolve(r!))),
      );
      expect(reply.payload.toString()).toBe('hi');
    } finally {
      other.close();
    }
  });
});
