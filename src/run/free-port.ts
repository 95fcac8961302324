/**
 * A free TCP port, for external programs that cannot listen on port 0 and report the port they got
 * (nghttpx, nghttpd). There is a small window in which another process could take it; the caller's
 * start then fails loudly rather than silently, and our own servers never use this.
 */
import { createServer } from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}
