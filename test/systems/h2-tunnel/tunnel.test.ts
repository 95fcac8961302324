/**
 * The h2-stream tunnel as users run it: origin, edge and connector as separate `muxbench serve` processes,
 * driven by clients nobody here wrote (curl, h2load, @grpc/grpc-js, ws) and by node:http2 for extended
 * CONNECT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startTunnelStack } from '../../../src/run/stacks.ts';
import { stopAll } from '../../helpers/cli.ts';
import { h2load, tunnelFaultSuite, tunnelInteropSuite } from '../../helpers/tunnel-interop.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startTunnelStack({ design: 'h2', token: 'secret-1' });
});
afterAll(async () => {
  await stack?.stop();
  stopAll();
});

tunnelInteropSuite('h2 tunnel', () => stack);
tunnelFaultSuite('h2 tunnel', 'h2', () => stack, /tunnel/);

describe('h2 tunnel with the connector reaching the HTTP origin over h2c', () => {
  let h2cStack: Stack;
  beforeAll(async () => {
    h2cStack = await startTunnelStack({ design: 'h2', connectorArgs: ['--origin-protocol', 'h2c'] });
  });
  afterAll(async () => {
    await h2cStack?.stop();
  });
  tunnelInteropSuite('h2 tunnel, h2c origin', () => h2cStack);
});

describe('h2 tunnel: HTTP through the edge', () => {
  it('serves h2load with 5x more concurrent streams than the limit of 100: every request succeeds', async () => {
    const r = await h2load(`${stack.urls.public}/bytes/64`, ['-n', '3000', '-c', '1', '-m', '500']);
    expect(r).toMatchObject({ total: 3000, succeeded: 3000, failed: 0, errored: 0 });
  });
});

describe('h2 tunnel: stream limit', () => {
  it('queues streams beyond a small limit at the edge instead of refusing them (limit 10, 300 concurrent)', async () => {
    const small = await startTunnelStack({ design: 'h2', connectorArgs: ['--max-concurrent-streams', '10'] });
    try {
      const r = await h2load(`${small.urls.public}/delay/5`, ['-n', '600', '-c', '3', '-m', '100']);
      expect(r).toMatchObject({ total: 600, succeeded: 600, failed: 0, errored: 0 });
    } finally {
      await small.stop();
    }
  });
});
