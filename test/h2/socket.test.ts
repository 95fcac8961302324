/**
 * How a raw connection listens to its socket (src/h2/socket.ts), over a real socket pair: reads reach the
 * owner, and a socket error is never an event of its own — no unhandled 'error', one close.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { attachSocket, type SocketOwner } from '../../src/h2/socket.ts';

let server: Server | undefined;

afterEach(async () => {
  const s = server;
  server = undefined;
  if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
});

class Owner implements SocketOwner {
  chunks: Buffer[] = [];
  closes = 0;
  readonly closed: Promise<void>;
  private onClosed!: () => void;
  constructor() {
    this.closed = new Promise((resolve) => (this.onClosed = resolve));
  }
  onSocketData(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  onSocketClose(): void {
    this.closes++;
    this.onClosed();
  }
}

async function pair(): Promise<{ client: Socket; peer: Socket }> {
  const srv = createServer();
  server = srv;
  const accepted = new Promise<Socket>((resolve) => srv.once('connection', resolve));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const client = connect({ host: '127.0.0.1', port: (srv.address() as { port: number }).port });
  await new Promise<void>((resolve) => client.once('connect', resolve));
  return { client, peer: await accepted };
}

describe('attachSocket', () => {
  it('hands every read to the owner', async () => {
    const { client, peer } = await pair();
    const owner = new Owner();
    attachSocket(client, owner);
    peer.end('hello');
    await owner.closed; // the peer's FIN ends the socket (no half-open)
    expect(Buffer.concat(owner.chunks).toString()).toBe('hello');
  });

  it('reports a socket error as the close that follows it, once, with no unhandled error', async () => {
    const { client, peer } = await pair();
    const owner = new Owner();
    attachSocket(client, owner);
    client.destroy(new Error('ECONNRESET, as it were')); // would throw if 'error' had no listener
    await owner.closed;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(owner.closes).toBe(1);
    peer.destroy();
  });

  it('reports a peer that closes', async () => {
    const { client, peer } = await pair();
    const owner = new Owner();
    attachSocket(client, owner);
    peer.destroy();
    client.end();
    await owner.closed;
    expect(owner.closes).toBe(1);
  });
});
