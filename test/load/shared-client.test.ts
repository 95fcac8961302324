/**
 * Load groups against an http_grpc server share one client: their calls travel in the same POSTs (the
 * head-of-line question), and one group closing does not end the other's client.
 */
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { httpGrpcRequester } from '../../src/load/http-grpc.ts';
import { runPaced } from '../../src/load/pacing.ts';
import { defaultServerOptions } from '../../src/systems/http-grpc/config.ts';
import { FUNC } from '../../src/clients/http-grpc/builtins.ts';
import { BUILTINS } from '../../src/systems/http-grpc/functions.ts';
import { httpGrpcRequestHandler } from '../../src/systems/http-grpc/server.ts';
import { patternBytes } from '../../src/wire/payload.ts';
import { encodeVarint } from '../../src/wire/index.ts';
import { closeServer, listen, trackConnections } from '../../src/systems/serve.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const s = trackConnections(createServer(httpGrpcRequestHandler(defaultServerOptions('streaming'), { functions: [...BUILTINS] })));
  s.on('connection', () => connections++);
  const port = await listen(s, '127.0.0.1', 0);
  cleanups.push(() => closeServer(s));
  return { url: `http://127.0.0.1:${port}`, connections: () => connections };
}

const budget = { warmupMs: 0, durationMs: 10_000, maxRequests: 40 };

describe('http_grpc requesters of one load worker', () => {
  it.each([true, false])('share one client when asked (shareClient=%s)', async (share) => {
    const srv = await server();
    const client = { url: srv.url, streamRequests: true, maxCallsPerBatch: 0, connections: 1 };
    const small = httpGrpcRequester({ client, funcId: FUNC.echo, payload: patternBytes(64), shareClient: share });
    const bulk = httpGrpcRequester({
      client,
      funcId: FUNC.sized,
      payload: Buffer.from(encodeVarint(100_000)),
      expect: { patternLength: 100_000 },
      shareClient: share,
    });
    const [a, b] = await Promise.all([runPaced(small, { kind: 'closed', concurrency: 4 }, budget), runPaced(bulk, { kind: 'closed', concurrency: 2 }, budget)]);
    expect([a.requests, b.requests, a.errors, b.errors]).toEqual([40, 40, {}, {}]);
    // one open POST on one connection carries both loads' calls, or each load has its own
    expect(srv.connections()).toBe(share ? 1 : 2);
    await bulk.close();
    // the other load's client is still open
    const again = await runPaced(small, { kind: 'closed', concurrency: 2 }, { ...budget, maxRequests: 10 });
    expect([again.requests, again.errors]).toEqual([10, {}]);
    await small.close();
  });
});
