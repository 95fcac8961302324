/**
 * Runs `muxbench` as a user would (bin/muxbench.js in a child process). Servers go through the same
 * supervisor the harness uses; `stopAll` (called in afterAll) kills whatever is left.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { killAllSupervised, MUXBENCH_BIN, type Supervised, superviseCommand } from '../../src/run/supervise.ts';

const children = new Set<ChildProcess>();

export function runCli(args: string[], timeoutMs = 15_000, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MUXBENCH_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`muxbench ${args.join(' ')} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

export function startCli(args: string[], timeoutMs = 15_000): Promise<Supervised> {
  return superviseCommand([process.execPath, MUXBENCH_BIN, ...args], { readyTimeoutMs: timeoutMs });
}

export function stopAll(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
  killAllSupervised();
}
