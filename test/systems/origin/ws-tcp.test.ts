/** The WebSocket echo called by a `ws` client, and the TCP echo called by node:net. */
import { connect as netConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { isPattern, patternBytes } from '../../../src/wire/payload.ts';
import type { Running } from '../../../src/systems/serve.ts';
import { startOrigin } from '../../../src/systems/origin/system.ts';

let origin: Running;

beforeAll(async () => {
  origin = await startOrigin({ host: '127.0.0.1', port: 0, grpcPort: 0, wsPort: 0, tcpPort: 0 });
});
afterAll(() => origin.close());

interface Message {
  data: Buffer;
  isBinary: boolean;
}

async function openWs(): Promise<{ ws: WebSocket; next: () => Promise<Message> }> {
  const ws = new WebSocket(origin.urls.ws!);
  const inbox: Message[] = [];
  const waiting: ((m: Message) => void)[] = [];
  ws.on('message', (data, isBinary) => {
    const m = { data: Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]), isBinary };
    const w = waiting.shift();
    if (w) w(m);
    else inbox.push(m);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const next = (): Promise<Message> => new Promise((resolve) => (inbox.length ? resolve(inbox.shift()!) : waiting.push(resolve)));
  return { ws, next };
}

describe('WebSocket origin', () => {
  it('echoes text as text and binary as binary', async () => {
    const { ws, next } = await openWs();
    try {
      ws.send('héllo, tunnel');
      const text = await next();
      expect(text.isBinary).toBe(false);
      expect(text.data.toString('utf8')).toBe('héllo, tunnel');

      ws.send(Buffer.from([0, 255, 1, 254]));
      const binary = await next();
      expect(binary.isBinary).toBe(true);
      expect([...binary.data]).toEqual([0, 255, 1, 254]);
    } finally {
      ws.close();
    }
  });

  it('echoes many messages in order, including a large binary one', async () => {
    const { ws, next } = await openWs();
    try {
      for (let i = 0; i < 100; i++) ws.send(`message ${i}`);
      const big = patternBytes(2 * 1024 * 1024 + 5);
      ws.send(big);
      for (let i = 0; i < 100; i++) {
        const m = await next();
        expect(m.isBinary).toBe(false);
        expect(m.data.toString()).toBe(`message ${i}`);
      }
      const last = await next();
      expect(last.isBinary).toBe(true);
      expect(last.data.length).toBe(big.length);
      expect(isPattern(last.data)).toBe(true);
    } finally {
      ws.close();
    }
  });

  it('keeps serving after a client drops its connection mid-message', async () => {
    const url = new URL(origin.urls.ws!);
    const raw = netConnect(Number(url.port), url.hostname);
    raw.on('error', () => {});
    raw.write(
      'GET / HTTP/1.1\r\nhost: origin\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' +
        'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n',
    );
    await new Promise((resolve) => raw.once('data', resolve)); // 101 Switching Protocols
    raw.write(Buffer.from([0x82, 0xfe, 0x10, 0x00, 1, 2, 3, 4, 9, 9])); // masked binary frame of 4096 bytes, cut short
    raw.destroy();
    const { ws, next } = await openWs();
    try {
      ws.send('after');
      expect((await next()).data.toString()).toBe('after');
    } finally {
      ws.close();
    }
  });
});

describe('TCP origin', () => {
  function connectTcp(): Promise<Socket> {
    const url = new URL(origin.urls.tcp!);
    return new Promise((resolve, reject) => {
      const socket = netConnect(Number(url.port), url.hostname, () => resolve(socket));
      socket.once('error', reject);
    });
  }

  it('echoes every byte on the same connection, and all of them after the client half-closes', async () => {
    const socket = await connectTcp();
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    const ended = new Promise((resolve) => socket.on('end', resolve));
    const payload = patternBytes(1024 * 1024 + 13);
    for (let at = 0; at < payload.length; at += 100_000) socket.write(payload.subarray(at, at + 100_000));
    socket.end();
    await ended;
    const echoed = Buffer.concat(received);
    expect(echoed.length).toBe(payload.length);
    expect(isPattern(echoed)).toBe(true);
  });

  it('answers a short exchange before the client ends, and survives a reset', async () => {
    const socket = await connectTcp();
    socket.write('ping');
    const reply = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
    expect(reply.toString()).toBe('ping');
    socket.resetAndDestroy();
    const again = await connectTcp();
    again.write('pong');
    expect((await new Promise<Buffer>((resolve) => again.once('data', resolve))).toString()).toBe('pong');
    again.destroy();
  });
});
