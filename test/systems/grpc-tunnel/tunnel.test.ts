/**
 * The grpc-stream tunnel as users run it: origin, edge and connector as separate `muxbench serve`
 * processes, driven by clients nobody here wrote (curl, h2load, @grpc/grpc-js, ws) and by node:http2 for
 * extended CONNECT and for 10,000 requests at once — the same checks as the h2-stream tunnel's, plus the
 * grpc design's own claims.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect as h2connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { promisify } from 'node:util';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Stack, startTunnelStack } from '../../../src/run/stacks.ts';
import { startSystem, type Supervised } from '../../../src/run/supervise.ts';
import { createEchoClient, type EchoReply } from '../../../src/systems/origin/grpc-echo.ts';
import { isPattern } from '../../../src/systems/payload.ts';
import { stopAll } from '../../helpers/cli.ts';
import { curl } from '../../helpers/curl.ts';
import { clientFrame, serverFrame } from '../../helpers/ws-frames.ts';

const run = promisify(execFile);
let stack: Stack;

beforeAll(async () => {
  stack = await startTunnelStack({ design: 'grpc', token: 'secret-1' });
});
afterAll(async () => {
  await stack?.stop();
  stopAll();
});

async function h2load(url: string, args: string[]): Promise<{ succeeded: number; failed: number; errored: number; total: number; text: string }> {
  const { stdout } = await run('h2load', [...args, url], { timeout: 60_000 });
  const m = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(stdout);
  if (!m) throw new Error(`unexpected h2load output:\n${stdout}`);
  return { total: Number(m[1]), succeeded: Number(m[2]), failed: Number(m[3]), errored: Number(m[4]), text: stdout };
}

function tokenOf(s: Stack): string {
  const args = s.processes.edge!.child.spawnargs;
  return args[args.indexOf('--token') + 1]!;
}

describe('grpc tunnel: HTTP through the edge', () => {
  it.each([
    ['HTTP/1.1', []],
    ['h2c', ['--http2-prior-knowledge']],
  ])('carries body, status and headers for curl over %s', async (_name, args) => {
    const echo = await curl(`${stack.urls.public}/echo`, [...args, '-H', 'x-echo-trace: abc-123', '-H', 'content-type: text/x-test'], Buffer.from('through the tunnel'));
    expect(echo.status).toBe(200);
    expect(echo.body.toString()).toBe('through the tunnel');
    expect(echo.headers['x-echo-trace']).toEqual(['abc-123']);
    expect(echo.headers['content-type']).toEqual(['text/x-test']);
    const teapot = await curl(`${stack.urls.public}/status/418`, args);
    expect(teapot.status).toBe(418);
    const bytes = await curl(`${stack.urls.public}/bytes/300000`, args);
    expect(bytes.body.length).toBe(300_000);
    expect(isPattern(bytes.body)).toBe(true);
  });

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

describe('grpc tunnel: gRPC through the edge (@grpc/grpc-js client)', () => {
  let client: ReturnType<typeof createEchoClient>;
  beforeAll(() => {
    client = createEchoClient(stack.urls.public!);
  });
  afterAll(() => client.close());

  it('carries unary calls, server streams and error statuses (trailers preserved)', async () => {
    const reply = await new Promise<EchoReply>((resolve, reject) => client.unary({ payload: Buffer.from('grpc ok') }, (e, r) => (e ? reject(e) : resolve(r!))));
    expect(reply.payload.toString()).toBe('grpc ok');

    const replies: EchoReply[] = await new Promise((resolve, reject) => {
      const out: EchoReply[] = [];
      const call = client.serverStream({ payload: Buffer.from('s'), count: 40, intervalMs: 0 });
      call.on('data', (r: EchoReply) => out.push(r));
      call.on('error', reject);
      call.on('end', () => resolve(out));
    });
    expect(replies.map((r) => r.index)).toEqual(Array.from({ length: 40 }, (_, i) => i));

    const err = await new Promise<grpc.ServiceError>((resolve, reject) =>
      client.fail({ code: 5, message: 'not here' }, (e, r) => (e ? resolve(e) : reject(new Error(`answered ${JSON.stringify(r)}`)))),
    );
    expect(err.code).toBe(5);
    expect(err.details).toBe('not here');
  });
});

describe('grpc tunnel: WebSocket and TCP', () => {
  it('carries a ws client (HTTP/1.1 Upgrade at the edge): text and binary echo', async () => {
    const ws = new WebSocket(`${stack.urls.public!.replace('http:', 'ws:')}/chat`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const next = () => new Promise<[Buffer, boolean]>((resolve) => ws.once('message', (d: Buffer, isBinary: boolean) => resolve([d, isBinary])));
    let got = next();
    ws.send('hello over the tunnel');
    expect((await got)[0].toString()).toBe('hello over the tunnel');
    expect((await got)[1]).toBe(false);
    got = next();
    ws.send(Buffer.from([0, 1, 2, 254, 255]));
    const [bin, isBinary] = await got;
    expect(isBinary).toBe(true);
    expect([...bin]).toEqual([0, 1, 2, 254, 255]);
    ws.close();
  });

  it('carries an RFC 8441 extended CONNECT client (node:http2) at the edge', async () => {
    const session = h2connect(stack.urls.public!);
    await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
    expect(session.remoteSettings.enableConnectProtocol).toBe(true);
    const stream = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'http', ':path': '/chat', ':authority': 'edge', 'sec-websocket-version': '13' });
    const status = await new Promise<number>((resolve, reject) => {
      stream.once('response', (h) => resolve(Number(h[':status'])));
      stream.once('error', reject);
    });
    expect(status).toBe(200);
    let buf = Buffer.alloc(0);
    const frame = new Promise<ReturnType<typeof serverFrame>>((resolve) => {
      stream.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        const f = serverFrame(buf);
        if (f) resolve(f);
      });
    });
    stream.write(clientFrame(Buffer.from('over h2')));
    const f = await frame;
    expect(f!.opcode).toBe(1);
    expect(f!.payload.toString()).toBe('over h2');
    session.destroy();
  });

  it('carries raw TCP through the mapped port, including half-close', async () => {
    const url = new URL(stack.urls.tcp!);
    const socket = netConnect({ host: url.hostname, port: Number(url.port) });
    const received: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (c: Buffer) => received.push(c));
      socket.on('end', resolve);
      socket.on('error', reject);
    });
    const payload = Buffer.alloc(200_000, 7);
    socket.end(payload);
    await done;
    expect(Buffer.concat(received).length).toBe(payload.length);
    expect(Buffer.concat(received).equals(payload)).toBe(true);
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
