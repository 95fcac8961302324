/**
 * The grpc-stream tunnel as users run it: origin, edge and connector as separate `muxbench serve`
 * processes, driven by clients nobody here wrote (curl, h2load, @grpc/grpc-js, ws) and by node:http2 for
 * extended CONNECT and for 10,000 requests at once — the same checks as the h2-stream tunnel's, plus the
 * grpc design's own claims.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startTunnelStack } from '../../../src/run/stacks.ts';
import { startSystem, type Supervised } from '../../../src/run/supervise.ts';
import { isPattern } from '../../../src/systems/payload.ts';
import { createEchoClient, type EchoReply } from '../../../src/systems/origin/grpc-echo.ts';
import { stopAll } from '../../helpers/cli.ts';
import { h2load, tokenOf, tunnelInteropSuite } from '../../helpers/tunnel-interop.ts';
import { curl } from '../../helpers/curl.ts';

const run = promisify(execFile);
let stack: Stack;

beforeAll(async () => {
  stack = await startTunnelStack({ design: 'grpc', token: 'secret-1' });
});
afterAll(async () => {
  await stack?.stop();
  stopAll();
});

tunnelInteropSuite('grpc tunnel', () => stack);

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
    // origin HTTP/2 connection, so no origin accept queue (listen backlog 511) is in the way.
    const s = await startTunnelStack({ design: 'grpc' });
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
              call.on('end', () => resolve(got.length === 2 && got.every((r, k) => r.index === k && r.payload.equals(payload)) ? 'ok' : `call ${i}: wrong replies`));
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
    const s = await startTunnelStack({ design: 'grpc', connectorArgs: ['--connections', '3'] });
    try {
      expect(s.processes.edge!.stderrTail().match(/registered/g)).toHaveLength(3);
      const r = await h2load(`${s.urls.public}/bytes/64`, ['-n', '2000', '-c', '2', '-m', '100']);
      expect(r).toMatchObject({ total: 2000, succeeded: 2000, failed: 0, errored: 0 });
    } finally {
      await s.stop();
    }
  });
});

describe('grpc tunnel: ingress and faults', () => {
  it('refuses a request no ingress rule allows, and a kind the connector has no origin for', async () => {
    const s = await startTunnelStack({ design: 'grpc', connectorArgs: ['--ingress', '/private=status:403', '--ingress', '/echo=http'] });
    try {
      const denied = await curl(`${s.urls.public}/private/x`);
      expect(denied.status).toBe(403);
      expect(denied.body.toString()).toMatch(/refused by ingress rule \/private=status:403/);
      const unmatched = await curl(`${s.urls.public}/bytes/10`);
      expect(unmatched.status).toBe(404);
      expect(unmatched.body.toString()).toMatch(/no ingress rule matches/);
      expect((await curl(`${s.urls.public}/echo`, [], Buffer.from('ok'))).body.toString()).toBe('ok');
    } finally {
      await s.stop();
    }
  });

  it('refuses and logs a wrong token (UNAUTHENTICATED, connector exits 1), and keeps serving', async () => {
    const r = await run(process.execPath, [
      new URL('../../../bin/muxbench.js', import.meta.url).pathname,
      'serve',
      'grpc-connector',
      '--edge',
      stack.urls.tunnel!,
      '--token',
      'not-the-token',
      '--origin',
      stack.urls['origin.http']!,
    ]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refused this connector: wrong token/);
    expect(stack.processes.edge!.stderrTail()).toMatch(/wrong token/);
    expect((await curl(`${stack.urls.public}/echo`, [], Buffer.from('still up'))).body.toString()).toBe('still up');
  });

  it('answers 502 for requests in flight when the connector dies, 503 at once with none, and recovers', async () => {
    const s = await startTunnelStack({ design: 'grpc' });
    let replacement: Supervised | undefined;
    try {
      const inFlight = curl(`${s.urls.public}/delay/5000`);
      await new Promise((r) => setTimeout(r, 300));
      s.processes.connector!.child.kill('SIGKILL');
      const lost = await inFlight;
      expect(lost.status).toBe(502);
      expect(lost.body.toString()).toMatch(/tunnel connection .* was lost/);

      const t0 = performance.now();
      const none = await curl(`${s.urls.public}/echo`, [], Buffer.from('x'));
      expect(none.status).toBe(503);
      expect(none.body.toString()).toMatch(/no connector is connected/);
      expect(performance.now() - t0).toBeLessThan(5000);

      const origin = s.processes.origin!;
      replacement = await startSystem('grpc-connector', ['--edge', s.urls.tunnel!, '--token', tokenOf(s), '--origin', JSON.stringify(origin.ready)]);
      const back = await curl(`${s.urls.public}/echo`, [], Buffer.from('back again'));
      expect(back.status).toBe(200);
      expect(back.body.toString()).toBe('back again');
    } finally {
      await replacement?.stop();
      await s.stop();
    }
  });

  it('reconnects by itself when its connection drops (edge restarted on the same tunnel port)', async () => {
    const s = await startTunnelStack({ design: 'grpc', token: 'tok-r' });
    let edge2: Supervised | undefined;
    try {
      const tunnelPort = new URL(s.urls.tunnel!).port;
      await s.processes.edge!.stop();
      edge2 = await startSystem('grpc-edge', ['--port', '0', '--tunnel-port', tunnelPort, '--token', 'tok-r']);
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await curl(`${edge2.ready.urls.public}/echo`, [], Buffer.from('again'))).status;
      }
      expect(status).toBe(200);
      expect(s.processes.connector!.stderrTail()).toMatch(/re-registered/);
    } finally {
      await edge2?.stop();
      await s.stop();
    }
  });

  it('prints ready lines naming the system and its URLs', () => {
    expect(stack.processes.edge!.ready).toMatchObject({ event: 'ready', system: 'grpc-edge' });
    expect(Object.keys(stack.processes.edge!.ready.urls).sort()).toEqual(['public', 'tcp', 'tunnel']);
    expect(stack.processes.connector!.ready).toMatchObject({ event: 'ready', system: 'grpc-connector', urls: {} });
  });
});

