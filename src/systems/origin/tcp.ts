/** The TCP origin: every byte a client sends comes back on the same connection. */
import { createServer as createNetServer } from 'node:net';
import { closeServer, listen, type Running, trackConnections, urlFor } from '../serve.ts';

/** Serves the TCP echo on host:port; urls.tcp is its `tcp://host:port` address. */
export async function startTcpEcho(host: string, port: number): Promise<Running> {
  // allowHalfOpen: a client that ends its side still gets every byte echoed before this side ends.
  const server = trackConnections(
    createNetServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      socket.on('error', () => socket.destroy()); // resets from clients that go away: nothing to answer
      socket.pipe(socket);
    }),
  );
  const bound = await listen(server, host, port);
  return {
    urls: { tcp: urlFor('tcp', host, bound) },
    close: () => closeServer(server),
  };
}
