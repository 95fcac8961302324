/**
 * The interoperability checks every tunnel design must pass, driven by clients nobody here wrote: curl
 * (HTTP/1.1 and h2c), @grpc/grpc-js, ws, an RFC 8441 extended-CONNECT client on node:http2, and raw TCP.
 * Each design's test file calls `tunnelInteropSuite` with its running stack and `tunnelFaultSuite` for
 * ingress and faults, and adds its own checks.
 */
import { execFile } from 'node:child_process';
import { connect as h2connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { promisify } from 'node:util';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Stack, startTunnelStack } from '../../src/run/stacks.ts';
import { MUXBENCH_BIN, startSystem, type Supervised } from '../../src/run/supervise.ts';
import { createEchoClient, type EchoReply } from '../../src/clients/grpc-echo.ts';
import { isPattern } from '../../src/wire/payload.ts';
import { curl } from './curl.ts';
import { clientFrame, serverFrame } from './ws-frames.ts';

const run = promisify(execFile);

export async function h2load(url: string, args: string[]): Promise<{ succeeded: number; failed: number; errored: number; total: number; text: string }> {
  const { stdout } = await run('h2load', [...args, url], { timeout: 60_000 });
  const m = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(stdout);
  if (!m) throw new Error(`unexpected h2load output:\n${stdout}`);
  return { total: Number(m[1]), succeeded: Number(m[2]), failed: Number(m[3]), errored: Number(m[4]), text: stdout };
}

/** The token an edge process was started with. */
function tokenOf(s: Stack): string {
  const args = s.processes.edge!.child.spawnargs;
  return args[args.indexOf('--token') + 1]!;
}

export function tunnelInteropSuite(name: string, current: () => Stack): void {
  let stack: Stack;
  beforeAll(() => {
    stack = current();
  });

  describe(`${name}: HTTP through the edge`, () => {
    it.each([
      ['HTTP/1.1', []],
      ['h2c', ['--http2-prior-knowledge']],
    ])('carries body, status and headers for curl over %s', async (_name, args) => {
      const echo = await curl(
        `${stack.urls.public}/echo`,
        [...args, '-H', 'x-echo-trace: abc-123', '-H', 'content-type: text/x-test'],
        Buffer.from('through the tunnel'),
      );
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
  });

  describe(`${name}: gRPC through the edge (@grpc/grpc-js client)`, () => {
    let client: ReturnType<typeof createEchoClient>;
    beforeAll(() => {
      client = createEchoClient(stack.urls.public!);
    });
    afterAll(() => client.close());

    it('carries unary calls, server streams and error statuses (trailers preserved)', async () => {
      const reply = await new Promise<EchoReply>((resolve, reject) =>
        client.unary({ payload: Buffer.from('grpc ok') }, (e, r) => (e ? reject(e) : resolve(r!))),
      );
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

  describe(`${name}: WebSocket and TCP`, () => {
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
      const stream = session.request({
        ':method': 'CONNECT',
        ':protocol': 'websocket',
        ':scheme': 'http',
        ':path': '/chat',
        ':authority': 'edge',
        'sec-websocket-version': '13',
      });
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
      expect(Buffer.concat(received).equals(payload)).toBe(true);
    });
  });
}

/** Options every process of a design's stack takes on top of the usual ones (e.g. the grpc tunnel's link stack). */
export interface DesignArgs {
  edgeArgs?: string[];
  connectorArgs?: string[];
}

/**
 * Ingress and faults, the same for every design: refused paths, a wrong token, a connector killed
 * mid-request (502, then 503 at once, then recovery), a connector that redials a restarted edge.
 * `lostBody` is what the design's 502 says when its connector goes away; `extra` goes to every edge and
 * connector the suite starts.
 */
export function tunnelFaultSuite(name: string, design: 'h2' | 'grpc', current: () => Stack, lostBody: RegExp, extra: DesignArgs = {}): void {
  const edgeArgs = extra.edgeArgs ?? [];
  const connectorArgs = extra.connectorArgs ?? [];
  let stack: Stack;
  beforeAll(() => {
    stack = current();
  });

  describe(`${name}: ingress and faults`, () => {
    it('refuses a request no ingress rule allows, and a kind the connector has no origin for', async () => {
      const s = await startTunnelStack({ design, edgeArgs, connectorArgs: [...connectorArgs, '--ingress', '/private=status:403', '--ingress', '/echo=http'] });
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
        MUXBENCH_BIN,
        'serve',
        `${design}-connector`,
        '--edge',
        stack.urls.tunnel!,
        '--token',
        'not-the-token',
        '--origin',
        stack.urls['origin.http']!,
        ...connectorArgs,
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
      const s = await startTunnelStack({ design, edgeArgs, connectorArgs });
      let replacement: Supervised | undefined;
      try {
        const inFlight = curl(`${s.urls.public}/delay/5000`);
        await new Promise((r) => setTimeout(r, 300));
        s.processes.connector!.child.kill('SIGKILL');
        const lost = await inFlight;
        expect(lost.status).toBe(502);
        expect(lost.body.toString()).toMatch(lostBody);

        const t0 = performance.now();
        const none = await curl(`${s.urls.public}/echo`, [], Buffer.from('x'));
        expect(none.status).toBe(503);
        expect(none.body.toString()).toMatch(/no connector is connected/);
        expect(performance.now() - t0).toBeLessThan(5000); // answered, not hung until some timeout

        const origin = s.processes.origin!;
        replacement = await startSystem(`${design}-connector`, [
          '--edge',
          s.urls.tunnel!,
          '--token',
          tokenOf(s),
          '--origin',
          JSON.stringify(origin.ready),
          ...connectorArgs,
        ]);
        const back = await curl(`${s.urls.public}/echo`, [], Buffer.from('back again'));
        expect(back.status).toBe(200);
        expect(back.body.toString()).toBe('back again');
      } finally {
        await replacement?.stop();
        await s.stop();
      }
    });

    it('reconnects by itself when its connection drops (edge restarted on the same tunnel port)', async () => {
      const s = await startTunnelStack({ design, token: 'tok-r', edgeArgs, connectorArgs });
      let edge2: Supervised | undefined;
      try {
        const tunnelPort = new URL(s.urls.tunnel!).port;
        await s.processes.edge!.stop();
        edge2 = await startSystem(`${design}-edge`, ['--port', '0', '--tunnel-port', tunnelPort, '--token', 'tok-r', ...edgeArgs]);
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
}
