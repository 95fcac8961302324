/**
 * nghttpd (nghttp2's reference server) as a peer for the h2 engine: h2c on 127.0.0.1, a free port, pinned
 * when asked. nghttpd accepts port 0 but never says which port it got, so the port is read from the
 * kernel: the listening socket among the process's file descriptors (/proc, Linux).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { type CpuSet, pinnedCommand } from '../../os/cpus.ts';

export interface NghttpdOptions {
  /** directory served */
  htdocs: string;
  /** core to pin to with taskset */
  cpu?: CpuSet;
  /** more nghttpd flags, e.g. ['-m', '5'] (max concurrent streams) or ['-b', '255'] (padding) */
  args?: string[];
  readyTimeoutMs?: number;
}

export interface RunningNghttpd {
  /** http://127.0.0.1:PORT */
  url: string;
  pid: number;
  stderrTail(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export async function startNghttpd(options: NghttpdOptions): Promise<RunningNghttpd> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  const argv = pinnedCommand(['nghttpd', '--no-tls', '-a', '127.0.0.1', '-d', options.htdocs, ...(options.args ?? []), '0'], options.cpu);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4096);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
    child.once('error', (err) => {
      stderr += `\n${err.message}`;
      live.delete(child);
      resolve();
    });
  });
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = async (): Promise<void> => {
    if (!gone) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
  };

  const deadline = performance.now() + (options.readyTimeoutMs ?? 10_000);
  while (true) {
    // taskset execs nghttpd, so the child's pid is nghttpd's
    const port = gone || child.pid === undefined ? null : listeningPort(child.pid);
    if (port !== null) {
      return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stderrTail: () => stderr.trim(), stop };
    }
    if (gone || performance.now() > deadline) {
      await stop();
      throw new Error(`nghttpd did not start listening${gone ? ' (it exited)' : ''}: ${argv.join(' ')}\n${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The port of a listening IPv4 TCP socket the process holds, or null. */
export function listeningPort(pid: number): number | null {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter((x): x is string => x !== undefined),
    );
  } catch {
    return null;
  }
  if (inodes.size === 0) return null;
  const table = readFileSync(`/proc/${pid}/net/tcp`, 'utf8').split('\n').slice(1);
  for (const line of table) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue;
    return Number.parseInt(f[1]!.split(':')[1]!, 16);
  }
  return null;
}
