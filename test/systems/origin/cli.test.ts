/** `muxbench serve origin` as a user starts it: the ready line, each service answering, SIGTERM, usage errors. */
import { connect as netConnect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { isPattern } from '../../../src/wire/payload.ts';
import { createEchoClient, type EchoReply } from '../../../src/clients/grpc-echo.ts';
import { runCli, startCli, stopAll } from '../../helpers/cli.ts';
import { curl } from '../../helpers/curl.ts';

afterAll(stopAll);

describe('muxbench serve origin', () => {
  it('prints one ready line with all four URLs, serves each, and exits 0 on SIGTERM', async () => {
    const p = await startCli(['serve', 'origin', '--port', '0']);
    expect(p.ready).toEqual({
      event: 'ready',
      system: 'origin',
      urls: {
        http: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        grpc: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        ws: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+$/),
        tcp: expect.stringMatching(/^tcp:\/\/127\.0\.0\.1:\d+$/),
      },
    });
    const { http, grpc, ws, tcp } = p.ready.urls as Record<'http' | 'grpc' | 'ws' | 'tcp', string>;
    expect(new Set([http, grpc, ws, tcp].map((u) => new URL(u).port)).size).toBe(4);

    const bytes = await curl(`${http}/bytes/1000`, ['--http2-prior-knowledge']);
    expect(bytes.status).toBe(200);
    expect(bytes.body.length).toBe(1000);
    expect(isPattern(bytes.body)).toBe(true);

    const client = createEchoClient(grpc);
    const reply = await new Promise<EchoReply>((resolve, reject) =>
      client.unary({ payload: Buffer.from('cli') }, (err, r) => (err ? reject(err) : resolve(r!))),
    );
    client.close();
    expect(reply.payload.toString()).toBe('cli');

    const socket = new WebSocket(ws);
    const echoed = await new Promise<string>((resolve, reject) => {
      socket.on('open', () => socket.send('ws'));
      socket.on('message', (data) => resolve(String(data)));
      socket.on('error', reject);
    });
    expect(echoed).toBe('ws');

    // Leave a WebSocket, a TCP connection and a pending /delay open: SIGTERM must still end the process cleanly.
    const tcpUrl = new URL(tcp);
    const raw = netConnect(Number(tcpUrl.port), tcpUrl.hostname);
    raw.on('error', () => {});
    raw.write('tcp');
    expect((await new Promise<Buffer>((resolve) => raw.once('data', resolve))).toString()).toBe('tcp');
    const pending = curl(`${http}/delay/20000`).catch((err: unknown) => err);

    await new Promise((resolve) => setTimeout(resolve, 100)); // let the /delay request arrive
    expect(await p.stop()).toBe(0);
    expect(p.stderrTail()).toMatch(/origin: SIGTERM, shutting down/);
    expect(await pending).toBeInstanceOf(Error);
    socket.terminate();
    raw.destroy();
  });

  it('names a bad port option and exits 2', async () => {
    const r = await runCli(['serve', 'origin', '--grpc-port', 'nine']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--grpc-port must be an integer from 0 to 65535, got 'nine'/);
    const u = await runCli(['serve', 'origin', '--udp-port', '1']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/--udp-port/);
  });

  it('exits 1 naming EADDRINUSE when one port is taken, closing the services that did start', async () => {
    const p = await startCli(['serve', 'origin']);
    const taken = new URL(p.ready.urls.tcp!).port;
    // Had the HTTP, gRPC and WebSocket servers stayed open, this process would never exit.
    const r = await runCli(['serve', 'origin', '--tcp-port', taken]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not start: .*EADDRINUSE/);
    expect(r.stdout).toBe('');
    expect(await p.stop()).toBe(0);
  });

  it('shows its usage with --help', async () => {
    const r = await runCli(['serve', 'origin', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--grpc-port N/);
    expect(r.stdout).toMatch(/--tcp-port N/);
  });
});
