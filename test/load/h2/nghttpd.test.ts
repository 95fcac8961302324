/**
 * The h2 engine against nghttpd (nghttp2's reference server, a peer nobody here wrote): static files
 * byte for byte through runPaced's closed loop, with nghttpd's stream limit lowered and with its frame
 * padding switched on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningNghttpd, startNghttpd } from '../../../src/load/h2/nghttpd.ts';
import { h2Requester } from '../../../src/load/h2/requester.ts';
import { runPaced } from '../../../src/load/pacing.ts';
import type { Requester } from '../../../src/load/types.ts';

let htdocs: string;
const small = Buffer.from('0123456789abcdef'.repeat(4)); // 64 bytes
const large = Buffer.alloc(100_000);
for (let i = 0; i < large.length; i++) large[i] = (i * 7 + (i >> 8)) & 0xff;
const running: RunningNghttpd[] = [];

beforeAll(() => {
  htdocs = mkdtempSync(join(tmpdir(), 'muxbench-nghttpd-'));
  writeFileSync(join(htdocs, 'small.bin'), small);
  writeFileSync(join(htdocs, 'large.bin'), large);
});

afterAll(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
  rmSync(htdocs, { recursive: true, force: true });
});

async function nghttpd(args: string[] = []): Promise<RunningNghttpd> {
  const n = await startNghttpd({ htdocs, args });
  running.push(n);
  return n;
}

async function closedLoop(r: Requester, concurrency: number, maxRequests: number) {
  try {
    return await runPaced(r, { kind: 'closed', concurrency }, { warmupMs: 0, durationMs: 20_000, maxRequests });
  } finally {
    await r.close();
  }
}

describe('h2 engine against nghttpd', () => {
  it('serves a static file: status 200 and the exact bytes, closed loop, zero errors', async () => {
    const n = await nghttpd();
    const r = h2Requester({ url: n.url, connections: 2, method: 'GET', path: '/small.bin', expect: { status: 200, body: { exact: small } } });
    const result = await closedLoop(r, 100, 3000);
    expect(result.errors).toEqual({});
    expect(result.requests).toBe(3000);
    expect(result.bytesIn).toBe(3000 * small.length);
    expect(result.abandoned).toBe(0);
  });

  it('a missing file is status-404, not success', async () => {
    const n = await nghttpd();
    const r = h2Requester({ url: n.url, method: 'GET', path: '/nope', expect: { status: 200 } });
    const result = await closedLoop(r, 4, 20);
    expect(result.errors).toEqual({ 'status-404': 20 });
  });

  it('nghttpd limited to 5 concurrent streams: 60 concurrent requests queue in the engine, none refused', async () => {
    const n = await nghttpd(['-m', '5']);
    const r = h2Requester({ url: n.url, method: 'GET', path: '/small.bin', expect: { status: 200, body: { exact: small } } });
    const result = await closedLoop(r, 60, 1500);
    expect(result.errors).toEqual({});
    expect(result.requests).toBe(1500);
  });

  it('padded HEADERS and DATA (nghttpd -b 255) and a 100 kB file over several frames arrive exact', async () => {
    const n = await nghttpd(['-b', '255']);
    const r = h2Requester({ url: n.url, method: 'GET', path: '/large.bin', expect: { status: 200, body: { exact: large } } });
    const result = await closedLoop(r, 8, 200);
    expect(result.errors).toEqual({});
    expect(result.requests).toBe(200);
    expect(result.bytesIn).toBe(200 * large.length);
  });

  it('a 100 kB file with a 16 KiB receive window keeps flowing (WINDOW_UPDATEs reach nghttpd)', async () => {
    const n = await nghttpd();
    const r = h2Requester({
      url: n.url,
      method: 'GET',
      path: '/large.bin',
      windowBytes: 16_384,
      timeoutMs: 5000,
      expect: { status: 200, body: { exact: large } },
    });
    const result = await closedLoop(r, 4, 100);
    expect(result.errors).toEqual({});
    expect(result.requests).toBe(100);
  });
});
