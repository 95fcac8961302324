/**
 * Joins two byte streams both ways (WebSocket and TCP exchanges). An end on one side ends the other's
 * writable half (TCP half-close carries through); an error, or a close before both halves ended, on
 * either side destroys both, once. A side that closes after ending cleanly leaves the other to flush what
 * it still has to write: the pipe has ended it already, and it closes by itself.
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
  const onClose = (side: Duplex) => (): void => {
    const clean = side.readableEnded && side.writableFinished;
    if (!clean || (a.closed && b.closed)) finish();
  };
  a.on('error', finish);
  b.on('error', finish);
  a.on('close', onClose(a));
  b.on('close', onClose(b));
  a.pipe(b);
  b.pipe(a);
}
