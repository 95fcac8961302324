/**
 * The h2-stream tunnel as users run it: origin, edge and connector as separate `muxbench serve` processes,
 * driven by clients nobody here wrote (curl, h2load, @grpc/grpc-js, ws) and by node:http2 for extended
 * CONNECT.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startTunnelStack } from '../../../src/run/stacks.ts';
import { startSystem, type Supervised } from '../../../src/run/supervise.ts';
import { stopAll } from '../../helpers/cli.ts';
import { h2load, tokenOf, tunnelInteropSuite } from '../../helpers/tunnel-interop.ts';
import { curl } from '../../helpers/curl.ts';

const run = promisify(execFile);
let stack: Stack;

beforeAll(async () => {
  stack = await startTunnelStack({ design: 'h2', token: 'secret-1' });
});
afterAll(async () => {
  await stack?.stop();
  stopAll();
});

tunnelInteropSuite('h2 tunnel', () => stack);

describe('h2 tunnel: HTTP through the edge', () => {
  it('serves h2load with 5x more concurrent streams than the limit of 100: every request succeeds', async () => {
    const r = await h2load(`${stack.urls.public}/bytes/64`, ['-n', '3000', '-c', '1', '-m', '500']);
    expect(r).toMatchObject({ total: 3000, succeeded: 3000, failed: 0, errored: 0 });
  });
});

describe('h2 tunnel: limits, ingress and faults', () => {
  it('queues streams beyond a small limit at the edge instead of refusing them (limit 10, 300 concurrent)', async () => {
    const small = await startTunnelStack({ design: 'h2', connectorArgs: ['--max-concurrent-streams', '10'] });
    try {
      const r = await h2load(`${small.urls.public}/delay/5`, ['-n', '600', '-c', '3', '-m', '100']);
      expect(r).toMatchObject({ total: 600, succeeded: 600, failed: 0, errored: 0 });
    } finally {
      await small.stop();
    }
  });

  it('refuses a request no ingress rule allows, and a kind the connector has no origin for', async () => {
    const s = await startTunnelStack({ design: 'h2', connectorArgs: ['--ingress', '/private=status:403', '--ingress', '/echo=http'] });
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

  it('refuses and logs a wrong token, and keeps serving', async () => {
    const r = await run(process.execPath, [
      new URL('../../../bin/muxbench.js', import.meta.url).pathname,
      'serve',
      'h2-connector',
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
    const s = await startTunnelStack({ design: 'h2' });
    let replacement: Supervised | undefined;
    try {
      const inFlight = curl(`${s.urls.public}/delay/5000`);
      await new Promise((r) => setTimeout(r, 300));
      s.processes.connector!.child.kill('SIGKILL');
      const lost = await inFlight;
      expect(lost.status).toBe(502);
      expect(lost.body.toString()).toMatch(/tunnel/);

      const t0 = performance.now();
      const none = await curl(`${s.urls.public}/echo`, [], Buffer.from('x'));
      expect(none.status).toBe(503);
      expect(none.body.toString()).toMatch(/no connector is connected/);
      expect(performance.now() - t0).toBeLessThan(5000); // answered, not hung until some timeout

      const origin = s.processes.origin!;
      replacement = await startSystem('h2-connector', ['--edge', s.urls.tunnel!, '--token', tokenOf(s), '--origin', JSON.stringify(origin.ready)]);
      const back = await curl(`${s.urls.public}/echo`, [], Buffer.from('back again'));
      expect(back.status).toBe(200);
      expect(back.body.toString()).toBe('back again');
    } finally {
      await replacement?.stop();
      await s.stop();
    }
  });

  it('reconnects by itself when its connection drops (edge restarted on the same tunnel port)', async () => {
    const s = await startTunnelStack({ design: 'h2', token: 'tok-r' });
    let edge2: Supervised | undefined;
    try {
      const tunnelPort = new URL(s.urls.tunnel!).port;
      await s.processes.edge!.stop();
      edge2 = await startSystem('h2-edge', ['--port', '0', '--tunnel-port', tunnelPort, '--token', 'tok-r']);
      // The connector redials with backoff; wait for it to register, then a request passes.
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
});

