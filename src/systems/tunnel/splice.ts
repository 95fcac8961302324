/**
 * Joins two byte streams both ways (WebSocket and TCP exchanges). An end on one side ends the other's
 * writable half (TCP half-close carries through); an error or early close on either destroys both, once.
 */
import type { Duplex } from 'node:stream';

export function splice(a: Duplex, b: Duplex, onDone?: (err?: Error) => void): void {
  let done = false;
  const finish = (err?: Error): void => {
    if (done) return;
    done = true;
    a.destroy();
    b.destroy();
    onDone?.(err);
  };
  a.on('error', finish);
  b.on('error', finish);
  a.on('close', () => finish());
  b.on('close', () => finish());
  a.pipe(b);
  b.pipe(a);
}
