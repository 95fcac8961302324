/**
 * How a raw HTTP/2 connection listens to its socket, the same for the session and the load engine's
 * client: reads go to the frame reader, a socket 'error' is not an event of its own — 'close' always follows
 * and ends the connection, failing what is open — and nothing is delayed by Nagle.
 */
import type { Socket } from 'node:net';

/** What a raw connection does with its socket's events. */
export interface SocketOwner {
  /** A read; must not throw (anything thrown while reading maps to a connection error, connectionErrorOf). */
  onSocketData(chunk: Buffer): void;
  /** The socket closed, cleanly or after an error: whatever is still open fails. */
  onSocketClose(): void;
}

export function attachSocket(socket: Socket, owner: SocketOwner): void {
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => owner.onSocketData(chunk));
  socket.on('error', ignoreError); // 'close' follows
  socket.on('close', () => owner.onSocketClose());
}

function ignoreError(): void {}
