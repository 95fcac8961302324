/**
 * The server as a user starts it (`muxbench serve http-grpc`), driven by a client nobody here wrote: curl
 * with a hand-built body, over HTTP/1.1 and h2c prior knowledge.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli, stopAll } from '../../helpers/cli.ts';
import { hex, toHex } from '../../helpers/chunks.ts';

const run = promisify(execFile);
afterAll(stopAll);

/** curl --data-binary @- with the body on stdin; returns the raw reply bytes and the status. */
async function curl(url: string, body: Uint8Array, extra: string[] = []): Promise<{ status: number; body: Buffer }> {
  const child = run('curl', ['-sS', '--data-binary', '@-', '-o', '-', '-w', '\n%{http_code}', ...extra, url], {
    encoding: 'buffer',
    timeout: 10_000,
  });
  child.child.stdin!.end(body);
  const { stdout } = await child;
  const cut = stdout.lastIndexOf(0x0a);
  return { status: Number(stdout.subarray(cut + 1).toString()), body: stdout.subarray(0, cut) };
}

// call 1001 echo 01020304 · call 5 fail "boom" · call 6 none · call 7 unknown func 99
const BODY = hex('e907 01 04 01020304  05 05 04 626f6f6d  06 06 00  07 63 00');
const EXPECTED_FRAMES = ['e907000401020304', '05f40304626f6f6d', '06ffffffff0f', '07ffffffff0f'];

/** Splits the reply into frames by the known vector sizes, order-independently (completion order may vary). */
function framesOf(body: Buffer): string[] {
  const s = toHex(body);
  return EXPECTED_FRAMES.filter((f) => s.includes(f)).sort();
}

describe.each([
  ['HTTP/1.1', [] as string[], []],
  ['h2c', ['--http2'], ['--http2-prior-knowledge']],
])('muxbench serve http-grpc over %s, called by curl', (_name, serverArgs, curlArgs) => {
  it.each(['compat', 'streaming'])('answers a hand-built body byte for byte (%s mode)', async (mode) => {
    const p = await startCli(['serve', 'http-grpc', '--port', '0', '--mode', mode, ...serverArgs]);
    expect(p.ready).toEqual({ event: 'ready', system: 'http-grpc', urls: { http: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) } });
    const reply = await curl(p.ready.urls.http!, BODY, curlArgs);
    expect(reply.status).toBe(200);
    expect(reply.body.length).toBe(EXPECTED_FRAMES.join('').length / 2);
    expect(framesOf(reply.body)).toEqual([...EXPECTED_FRAMES].sort());
    const overlength = await curl(p.ready.urls.http!, hex('ffffffffff01'), curlArgs);
    expect(overlength.status).toBe(400);
    expect(overlength.body.toString()).toMatch(/overlength/);
    expect(await p.stop()).toBe(0);
  });
});

describe('muxbench serve: usage errors', () => {
  it('names a bad option value and exits 2', async () => {
    const r = await runCli(['serve', 'http-grpc', '--port', 'eighty']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port must be an integer from 0 to 65535, got 'eighty'/);
    const m = await runCli(['serve', 'http-grpc', '--mode', 'fast']);
    expect(m.stderr).toMatch(/--mode must be one of compat, streaming, got 'fast'/);
  });

  it('names an unknown option and an unknown system', async () => {
    const r = await runCli(['serve', 'http-grpc', '--prot', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--prot/);
    const s = await runCli(['serve', 'nope']);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/unknown system 'nope'; one of: http-grpc/);
  });

  it('reports a port already in use and exits 1', async () => {
    const p = await startCli(['serve', 'http-grpc', '--port', '0']);
    const port = new URL(p.ready.urls.http!).port;
    const r = await runCli(['serve', 'http-grpc', '--port', port]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not start: .*EADDRINUSE/);
    await p.stop();
  });
});
