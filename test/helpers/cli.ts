/**
 * Starts `muxbench` as a user would (bin/muxbench.js in a child process) and waits for its ready line.
 * Every child started here is killed by `stopAll`, which each test file calls in afterAll.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/muxbench.js', import.meta.url));

export interface Ready {
  event: 'ready';
  system: string;
  urls: Record<string, string>;
}

export interface CliProcess {
  child: ChildProcess;
  ready: Ready;
  stderr: () => string;
  /** SIGTERM, then the exit code (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
}

const children = new Set<ChildProcess>();

export function runCli(args: string[], timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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

export function startCli(args: string[], timeoutMs = 15_000): Promise<CliProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((r) =>
      child.on('exit', (code) => {
        children.delete(child);
        r(code);
      }),
    );
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ready line from muxbench ${args.join(' ')} within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line !== undefined) {
        clearTimeout(timer);
        try {
          const ready = JSON.parse(line) as Ready;
          resolve({
            child,
            ready,
            stderr: () => stderr,
            stop: (graceMs = 5000) => {
              if (child.exitCode !== null || child.signalCode !== null) return exited;
              child.kill('SIGTERM');
              const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
              return exited.finally(() => clearTimeout(kill));
            },
          });
        } catch {
          reject(new Error(`first stdout line is not JSON: ${line}`));
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`muxbench ${args.join(' ')} exited with ${code} before ready; stderr: ${stderr}`));
    });
  });
}

export function stopAll(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}
