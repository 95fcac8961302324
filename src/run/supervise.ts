/**
 * Starts `muxbench serve <system>` in a child process (pinned when asked), waits for its ready line with
 * a time limit, and ends it with SIGTERM then SIGKILL. Every child started here is also killed if this
 * process exits or is interrupted, so no system outlives a run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { MuxbenchError } from '../errors.ts';
import { descendantPids } from '../measure/resources.ts';
import { type CpuSet, pinnedCommand } from '../os/cpus.ts';

export const MUXBENCH_BIN = fileURLToPath(new URL('../../bin/muxbench.js', import.meta.url));

export interface ReadyLine {
  event: 'ready';
  system: string;
  urls: Record<string, string>;
  [key: string]: unknown;
}

export interface Supervised {
  readonly pid: number;
  readonly ready: ReadyLine;
  readonly child: ChildProcess;
  /** The last lines the process wrote to stderr. */
  stderrTail(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process is gone. */
  readonly exited: Promise<number | null>;
  stop(graceMs?: number): Promise<number | null>;
  /** Event-loop counters from a `muxbench serve` child (null for other programs or none in time). */
  stats(timeoutMs?: number): Promise<ServedStats | null>;
  /** The latest counters it reported (at most one stats interval old), without waiting. */
  lastStats(): ServedStats | null;
  /**
   * Starts (then stops) a `muxbench serve` child's CPU profiler — it must run with MUXBENCH_PROFILE_DIR set
   * (src/systems/profiler.ts). Resolves with the answer: started, the profile's file, or why not.
   */
  profile(timeoutMs?: number): Promise<ProfileAnswer>;
}

export type ProfileAnswer = { event: 'profile-started' } | { event: 'profile'; file?: string; error?: string };

export interface ServedStats {
  eluActiveMs: number;
  eluIdleMs: number;
  rssBytes: number;
}

/** A system that could not start: why (the message), and the last lines it wrote to stderr, kept apart. */
export class SystemStartError extends MuxbenchError {
  override readonly name = 'SystemStartError';
  readonly code = 'MUX_ERR_SYSTEM_START';
  constructor(
    message: string,
    readonly stderrTail: string,
  ) {
    super(message);
  }
}

export interface StartOptions {
  /** Core to pin to with taskset (ignored where taskset or the core is missing). */
  cpu?: CpuSet;
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /**
   * For programs without a ready line (nghttpx, nghttpd): ready once this port accepts a TCP connection;
   * the ready line is then synthesised from `urls`.
   */
  readyWhenListening?: { host: string; port: number; system: string; urls: Record<string, string> };
  /** The child is `muxbench serve`: ask it for periodic stats lines (MUXBENCH_STATS_MS). */
  answersStats?: boolean;
  /** Which muxbench to serve from (another tree's bin/muxbench.js, as `muxbench gate` does); default this one. */
  bin?: string;
  /**
   * For `muxbench serve` children: the command that runs the system instead (`--profile=clinic` runs it under
   * a clinic collector: src/run/clinic.ts). The command's first child is then the system: its pid is the one
   * measured, once the ready line has come.
   */
  wrap?: (system: string, argv: string[]) => string[];
  /** How long `stop()` waits after SIGTERM before SIGKILL, by default (5 s; clinic writes its pages meanwhile). */
  stopGraceMs?: number;
  /** The command is a launcher whose first child is the system (set by `wrap`). */
  launcher?: boolean;
}

const STDERR_TAIL_BYTES = 4096;
/** How often a served child reports its event-loop counters. */
const STATS_INTERVAL_MS = 100;
const live = new Set<ChildProcess>();
/** Children that run the system as their own child (a clinic collector): killing one kills what it runs too. */
const launchers = new WeakSet<ChildProcess>();
let hooksInstalled = false;

function kill(child: ChildProcess): void {
  if (launchers.has(child) && child.pid !== undefined) {
    for (const pid of descendantPids(child.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
  child.kill('SIGKILL');
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const c of live) kill(c);
  });
}

/** Adds a child to the set killed when this process exits (for children started elsewhere). */
export function track(child: ChildProcess): void {
  installExitHooks();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Kills every supervised child now (for Ctrl-C handlers and test teardown). */
export function killAllSupervised(): void {
  for (const c of live) kill(c);
}

export function superviseCommand(argv: string[], options: StartOptions = {}): Promise<Supervised> {
  installExitHooks();
  const [cmd, ...args] = pinnedCommand(argv, options.cpu);
  const env = { ...(options.env ?? process.env), ...(options.answersStats ? { MUXBENCH_STATS_MS: String(STATS_INTERVAL_MS) } : {}) };
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  live.add(child);
  if (options.launcher) launchers.add(child);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-STDERR_TAIL_BYTES);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
    child.on('error', () => {
      live.delete(child);
      resolve(null);
    });
  });
  const stop = async (graceMs = options.stopGraceMs ?? 5000): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => kill(child), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return exited;
  };

  const statsWaiters: ((s: ServedStats | null) => void)[] = [];
  let latest: ServedStats | null = null;
  const lastStats = (): ServedStats | null => latest;
  const answersStats = options.answersStats === true;
  /** The next stats line (fresh counters), or null for other programs or when none comes in time. */
  const stats = (timeoutMs = 4 * STATS_INTERVAL_MS): Promise<ServedStats | null> => {
    if (!answersStats || child.exitCode !== null || child.signalCode !== null) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = statsWaiters.indexOf(waiter);
        if (i >= 0) statsWaiters.splice(i, 1);
        resolve(null);
      }, timeoutMs);
      const waiter = (s: ServedStats | null): void => {
        clearTimeout(timer);
        resolve(s);
      };
      statsWaiters.push(waiter);
    });
  };
  const profileWaiters: ((a: ProfileAnswer) => void)[] = [];
  const profile = (timeoutMs = 10_000): Promise<ProfileAnswer> => {
    if (!answersStats || child.exitCode !== null || child.signalCode !== null)
      return Promise.resolve({ event: 'profile', error: 'not a running muxbench serve process' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = profileWaiters.indexOf(waiter);
        if (i >= 0) profileWaiters.splice(i, 1);
        resolve({ event: 'profile', error: `no answer to SIGUSR2 within ${timeoutMs} ms (was it started with MUXBENCH_PROFILE_DIR?)` });
      }, timeoutMs);
      const waiter = (a: ProfileAnswer): void => {
        clearTimeout(timer);
        resolve(a);
      };
      profileWaiters.push(waiter);
      child.kill('SIGUSR2');
    });
  };
  /** Lines after the ready line: stats, and answers to profile requests. */
  const onLaterLine = (line: string): void => {
    if (!line.startsWith('{')) return;
    try {
      const msg = JSON.parse(line) as { event?: string } & ServedStats;
      if (msg.event === 'profile-started' || msg.event === 'profile') {
        profileWaiters.shift()?.(msg as unknown as ProfileAnswer);
        return;
      }
      if (msg.event === 'stats') {
        const snapshot = { eluActiveMs: msg.eluActiveMs, eluIdleMs: msg.eluIdleMs, rssBytes: msg.rssBytes };
        latest = snapshot;
        for (const w of statsWaiters.splice(0)) w(snapshot);
      }
    } catch {
      // not ours: ignore
    }
  };

  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  /** The measured process: the child, or a launcher's own first child (the system it runs). */
  const systemPid = (): number => (options.launcher ? (descendantPids(child.pid!)[0] ?? child.pid!) : child.pid!);
  return new Promise((resolve, reject) => {
    let stdout = '';
    let settled = false;
    const fail = (message: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop(1000).then(() => reject(new SystemStartError(message, stderr.trim())));
    };
    const timer = setTimeout(() => fail(`${argv.join(' ')}: no ready line within ${timeoutMs} ms`), timeoutMs);
    child.on('error', (err) => fail(`${argv.join(' ')}: could not start: ${err.message}`));
    child.on('exit', (code, signal) => fail(`${argv.join(' ')}: exited (${signal ?? `code ${code}`}) before it was ready`));
    const probe = options.readyWhenListening;
    if (probe) {
      child.stdout!.resume();
      const attempt = (): void => {
        if (settled) return;
        const s = connect({ host: probe.host, port: probe.port });
        s.once('connect', () => {
          s.destroy();
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const ready: ReadyLine = { event: 'ready', system: probe.system, urls: probe.urls };
          resolve({ pid: systemPid(), ready, child, stderrTail: () => stderr.trim(), exited, stop, stats, lastStats, profile });
        });
        s.once('error', () => {
          s.destroy();
          setTimeout(attempt, 25);
        });
      };
      attempt();
      return;
    }
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (settled) {
        let nl: number;
        while ((nl = stdout.indexOf('\n')) >= 0) {
          onLaterLine(stdout.slice(0, nl));
          stdout = stdout.slice(nl + 1);
        }
        return;
      }
      const nl = stdout.indexOf('\n');
      if (nl < 0) return;
      const line = stdout.slice(0, nl);
      stdout = stdout.slice(nl + 1);
      let ready: ReadyLine;
      try {
        ready = JSON.parse(line) as ReadyLine;
        if (ready.event !== 'ready' || typeof ready.urls !== 'object') throw new Error('not a ready event');
      } catch {
        return fail(`${argv.join(' ')}: first line on stdout is not a ready line: ${line.slice(0, 200)}`);
      }
      settled = true;
      clearTimeout(timer);
      resolve({ pid: systemPid(), ready, child, stderrTail: () => stderr.trim(), exited, stop, stats, lastStats, profile });
    });
  });
}

/** `muxbench serve <system> ...args` under supervision. */
export function startSystem(system: string, args: string[], options: StartOptions = {}): Promise<Supervised> {
  const argv = [process.execPath, ...(options.nodeArgs ?? []), options.bin ?? MUXBENCH_BIN, 'serve', system, ...args];
  if (!options.wrap) return superviseCommand(argv, { ...options, answersStats: true });
  return superviseCommand(options.wrap(system, argv), { ...options, answersStats: true, launcher: true });
}
