/**
 * Hand-made POSTs for byte-level checks, on node:http / node:http2 directly — not through the client under
 * test, so a client bug cannot hide a server bug.
 */
import { request as h1request } from 'node:http';
import { connect as h2connect } from 'node:http2';

export interface RawReply {
  status: number;
  headers: Record<string, unknown>;
  body: Buffer;
}

export function postRaw(url: string, body: Uint8Array | Uint8Array[], options: { http2?: boolean; method?: string } = {}): Promise<RawReply> {
  const chunks = Array.isArray(body) ? body : [body];
  const method = options.method ?? 'POST';
  if (options.http2) {
    return new Promise((resolve, reject) => {
      const session = h2connect(url);
      session.on('error', reject);
      const stream = session.request({ ':method': method, ':path': '/' });
      const parts: Buffer[] = [];
      let status = 0;
      let headers: Record<string, unknown> = {};
      stream.on('response', (h) => {
        status = Number(h[':status']);
        headers = h;
      });
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => {
        session.close();
        resolve({ status, headers, body: Buffer.concat(parts) });
      });
      stream.on('error', (err) => {
        session.destroy();
        reject(err);
      });
      if (method === 'GET' || method === 'HEAD') return; // node:http2 ends such streams itself
      for (const c of chunks) stream.write(c);
      stream.end();
    });
  }
  return new Promise((resolve, reject) => {
    const req = h1request(url, { method, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}
