/**
 * A served system ends with the process that started it. `npx muxbench serve` is npm → sh → node: npx's
 * pid is not the server's, and neither npm nor sh passes SIGTERM on; the server notices that its parent
 * has gone (src/systems/parent-watch.ts) and stops. Checked with real npx, and with a parent killed outright.
 * (SIGINT to npx's pid alone cannot be passed on: npm hands it to sh, which holds it until its child
 * exits. Ctrl-C at a terminal signals the whole process group, the server included.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MUXBENCH_BIN, type ReadyLine } from '../../src/run/supervise.ts';
import { alive, descendants } from '../helpers/procs.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const started: number[] = [];

afterAll(() => {
  for (const pid of alive(started)) process.kill(pid, 'SIGKILL');
});

/** Whether 127.0.0.1:port accepts a TCP connection. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The ready line a child (or its descendant) prints on the stdout we hold. */
function readyLine(child: ChildProcess, timeoutMs: number): Promise<ReadyLine> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ready line within ${timeoutMs} ms: ${out}`)), timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"event":"ready"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as ReadyLine);
      }
    });
  });
}

/**
 * Starts `command` (which starts the server) in a process group of its own, waits until it serves, sends
 * `signal` to the command's pid (or, `toGroup`, to its whole group, as a terminal's Ctrl-C does), and
 * says how long the port stayed open and the processes alive.
 */
async function serveAndEnd(
  command: string[],
  signal: NodeJS.Signals,
  toGroup = false,
): Promise<{ closedAfterMs: number; exitedAfterMs: number; stderr: string; family: number[] }> {
  const parent = spawn(command[0]!, command.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  started.push(parent.pid!);
  let stderr = '';
  parent.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const ready = await readyLine(parent, 25_000);
  const port = Number(new URL(ready.urls.http!).port);
  expect(await accepts(port)).toBe(true);
  const family = descendants(parent.pid!);
  started.push(...family);
  expect(family.length).toBeGreaterThan(0); // the server is not the process we signal
  const gone = new Promise((resolve) => parent.once('exit', resolve));
  process.kill(toGroup ? -parent.pid! : parent.pid!, signal);
  const t0 = Date.now();
  while ((await accepts(port)) && Date.now() - t0 < 6000) await new Promise((r) => setTimeout(r, 100));
  const closedAfterMs = Date.now() - t0;
  // the server's stderr stays ours after its parent is gone: wait for its last words (it closes within
  // its 5 s grace, or exits anyway)
  while (alive(family).length > 0 && Date.now() - t0 < 7000) await new Promise((r) => setTimeout(r, 100));
  await gone;
  return { closedAfterMs, exitedAfterMs: Date.now() - t0, stderr, family };
}

describe('muxbench serve ends with its parent', () => {
  it("stops when npx's pid gets SIGTERM: npm and sh end, and the server's parent with them", async () => {
    const { closedAfterMs, exitedAfterMs, stderr, family } = await serveAndEnd(['npx', '--no-install', 'muxbench', 'serve', 'origin'], 'SIGTERM');
    expect(closedAfterMs).toBeLessThan(5000);
    expect(alive(family), `still alive ${exitedAfterMs} ms after the signal`).toEqual([]);
    expect(stderr).toMatch(/origin: its parent process exited, shutting down/);
  }, 40_000);

  it('stops on Ctrl-C: SIGINT to the process group of npx, sh and the server', async () => {
    const { closedAfterMs, exitedAfterMs, stderr, family } = await serveAndEnd(['npx', '--no-install', 'muxbench', 'serve', 'origin'], 'SIGINT', true);
    expect(closedAfterMs).toBeLessThan(5000);
    expect(alive(family), `still alive ${exitedAfterMs} ms after the signal`).toEqual([]);
    expect(stderr).toMatch(/origin: SIGINT, shutting down/);
  }, 40_000);

  it('stops when its parent is killed outright (SIGKILL), within a few seconds', async () => {
    // a parent that cannot pass anything on: a plain node process holding the server as its child
    const wrapper = `require('child_process').spawn(process.execPath, [${JSON.stringify(MUXBENCH_BIN)}, 'serve', 'http-grpc'], { stdio: 'inherit' }); setInterval(() => {}, 1000);`;
    const { closedAfterMs, stderr, family } = await serveAndEnd([process.execPath, '-e', wrapper], 'SIGKILL');
    expect(closedAfterMs).toBeLessThan(5000);
    expect(alive(family)).toEqual([]);
    expect(stderr).toMatch(/http-grpc: its parent process exited, shutting down/);
  });
});
