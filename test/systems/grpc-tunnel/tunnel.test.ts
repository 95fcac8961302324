/**
 * The grpc-stream tunnel as users run it: origin, edge and connector as separate `muxbench serve`
 * processes, driven by clients nobody here wrote (curl, h2load, @grpc/grpc-js, ws) and by node:http2 for
 * extended CONNECT and for 10,000 requests at once — the same checks as the h2-stream tunnel's, plus the
 * grpc design's own claims — on both link stacks (raw, the default, and grpc-js).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startTunnelStack } from '../../../src/run/stacks.ts';
import { LINK_STACKS } from '../../../src/systems/grpc-tunnel/config.ts';
import { isPattern } from '../../../src/wire/payload.ts';
import { createEchoClient, type EchoReply } from '../../../src/clients/grpc-echo.ts';
import { runCli, stopAll } from '../../helpers/cli.ts';
import { h2load, tunnelFaultSuite, tunnelInteropSuite } from '../../helpers/tunnel-interop.ts';
import { curl } from '../../helpers/curl.ts';

afterAll(() => stopAll());

describe.each(LINK_STACKS)('%s link stack', (linkStack) => {
  const stackArgs = ['--link-stack', linkStack];
  let stack: Stack;

  beforeAll(async () => {
    stack = await startTunnelStack({ design: 'grpc', token: 'secret-1', edgeArgs: stackArgs, connectorArgs: stackArgs });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  tunnelInteropSuite('grpc tunnel', () => stack);
  tunnelFaultSuite('grpc tunnel', 'grpc', () => stack, /tunnel connection .* was lost/, { edgeArgs: stackArgs, connectorArgs: stackArgs });

  describe('grpc tunnel: HTTP through the edge', () => {
    it('serves h2load with 500 concurrent streams on one public connection: every request succeeds', async () => {
      const r = await h2load(`${stack.urls.public}/bytes/64`, ['-n', '3000', '-c', '1', '-m', '500']);
      expect(r).toMatchObject({ total: 3000, succeeded: 3000, failed: 0, errored: 0 });
    });

    it('carries an 8 MiB upload and an 8 MiB download byte-exact', async () => {
      const upload = randomBytes(8 * 1024 * 1024);
      const echoed = await curl(`${stack.urls.public}/echo`, ['-H', 'content-type: application/octet-stream'], upload);
      expect(echoed.status).toBe(200);
      expect(echoed.body.length).toBe(upload.length);
      expect(echoed.body.equals(upload)).toBe(true);

      const down = await curl(`${stack.urls.public}/bytes/${8 * 1024 * 1024}`, ['--http2-prior-knowledge']);
      expect(down.body.length).toBe(8 * 1024 * 1024);
      expect(isPattern(down.body)).toBe(true);
    });
  });

  describe('grpc tunnel: no stream limit', () => {
    it('answers 10,000 concurrent requests through one tunnel connection, each with its own payload', async () => {
      // gRPC server streams (@grpc/grpc-js client): every call sends its own payload and gets two replies
      // 1.5 s apart, so all 10,000 are open at once on the one Connect stream — and on one public and one
      // origin HTTP/2 connection, so no origin accept queue (listen backlog 511) is in the way. The public
      // side's own per-connection bound (100 streams by default, against hostile clients) is lifted here.
      const s = await startTunnelStack({ design: 'grpc', edgeArgs: [...stackArgs, '--public-max-streams', '10000'], connectorArgs: stackArgs });
      const client = createEchoClient(s.urls.public!);
      try {
        const outcomes = await Promise.all(
          Array.from(
            { length: 10_000 },
            (_, i) =>
              new Promise<string>((resolve) => {
                const payload = Buffer.from(`call ${i} ${'x'.repeat(i % 97)}`);
                const got: EchoReply[] = [];
                const call = client.serverStream({ payload, count: 2, intervalMs: 1500 });
                call.on('data', (r: EchoReply) => got.push(r));
                call.on('error', (err: Error) => resolve(`call ${i}: ${err.message}`));
                call.on('end', () =>
                  resolve(got.length === 2 && got.every((r, k) => r.index === k && r.payload.equals(payload)) ? 'ok' : `call ${i}: wrong replies`),
                );
              }),
          ),
        );
        expect(outcomes).toHaveLength(10_000);
        expect(outcomes.filter((o) => o !== 'ok').slice(0, 3)).toEqual([]);
      } finally {
        client.close();
        await s.stop();
      }
      // Both sides report their request_id maps at shutdown: nothing left behind.
      expect(s.processes.edge!.stderrTail()).toMatch(/closing with 0 request\(s\) in flight/);
      expect(s.processes.connector!.stderrTail()).toMatch(/closing with 0 request\(s\) in flight/);
    }, 90_000);

    it('spreads requests over several tunnel connections (--connections 3)', async () => {
      const s = await startTunnelStack({ design: 'grpc', edgeArgs: stackArgs, connectorArgs: [...stackArgs, '--connections', '3'] });
      try {
        expect(s.processes.edge!.stderrTail().match(/registered/g)).toHaveLength(3);
        const r = await h2load(`${s.urls.public}/bytes/64`, ['-n', '2000', '-c', '2', '-m', '100']);
        expect(r).toMatchObject({ total: 2000, succeeded: 2000, failed: 0, errored: 0 });
      } finally {
        await s.stop();
      }
    });
  });

  describe('grpc tunnel: ready lines', () => {
    it('prints ready lines naming the system and its URLs', () => {
      expect(stack.processes.edge!.ready).toMatchObject({ event: 'ready', system: 'grpc-edge' });
      expect(Object.keys(stack.processes.edge!.ready.urls).sort()).toEqual(['public', 'tcp', 'tunnel']);
      expect(stack.processes.connector!.ready).toMatchObject({ event: 'ready', system: 'grpc-connector', urls: {} });
      expect(stack.processes.edge!.stderrTail()).toMatch(new RegExp(`registered from .* \\(${linkStack} link stack\\)`));
    });
  });

  describe('grpc tunnel: link stack mismatch', () => {
    it('refuses a connector on the other link stack by name (exit 1, no hang), and keeps serving', async () => {
      const other = linkStack === 'raw' ? 'grpc-js' : 'raw';
      const r = await runCli([
        'serve',
        'grpc-connector',
        '--edge',
        stack.urls.tunnel!,
        '--token',
        'secret-1',
        '--origin',
        stack.urls['origin.http']!,
        '--link-stack',
        other,
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`link stack mismatch: the connector runs --link-stack ${other}, this edge --link-stack ${linkStack}`));
      expect(stack.processes.edge!.stderrTail()).toMatch(/link stack mismatch/);
      expect((await curl(`${stack.urls.public}/echo`, [], Buffer.from('still up'))).body.toString()).toBe('still up');
    });
  });
});
