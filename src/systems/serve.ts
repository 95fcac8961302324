/**
 * What every served system shares: listening on loopback with port 0, one JSON ready line on stdout,
 * a clean shutdown on SIGTERM/SIGINT, and option values checked with errors that name the option.
 */
import { MuxbenchError } from '../errors.ts';
import type { Server as HttpServer } from 'node:http';
import type { Http2Server, Http2Session } from 'node:http2';
import type { Server as NetServer, Socket } from 'node:net';
import { configureInjectedCpu } from './inject-cpu.ts';
import { watchParent } from './parent-watch.ts';
import { installProfileSignal } from './profiler.ts';

export const DEFAULT_HOST = '127.0.0.1';

/** A running system: the URLs it answers on and how to stop it. */
export interface Running {
  urls: Record<string, string>;
  close(): Promise<void>;
}

export class UsageError extends MuxbenchError {
  override readonly name = 'UsageError';
  readonly code = 'MUX_ERR_USAGE';
}

/** Listens and resolves the bound port; rejects with the listen error (EADDRINUSE, EACCES …). */
export function listen(server: NetServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      if (addr === null || typeof addr === 'string') return reject(new Error(`unexpected listen address ${String(addr)}`));
      resolve(addr.port);
    });
  });
}

export function urlFor(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Closes a server and everything still connected to it. `server.close()` alone waits for keep-alive
 * connections and HTTP/2 sessions to go away by themselves, which a load generator never does.
 */
export function closeServer(server: NetServer | HttpServer | Http2Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    const tracked = (server as unknown as { [TRACKED]?: Tracked })[TRACKED];
    if (!tracked) throw new Error('closeServer needs a server passed through trackConnections first');
    for (const s of tracked.sessions) s.destroy();
    for (const s of tracked.sockets) s.destroy();
  });
}

const TRACKED = Symbol('muxbench.tracked');
interface Tracked {
  sessions: Set<Http2Session>;
  sockets: Set<Socket>;
}

/** Remembers a server's sockets and HTTP/2 sessions so closeServer can end them. */
export function trackConnections<S extends NetServer>(server: S): S {
  const tracked: Tracked = { sessions: new Set(), sockets: new Set() };
  (server as unknown as { [TRACKED]: Tracked })[TRACKED] = tracked;
  server.on('connection', (socket: Socket) => {
    tracked.sockets.add(socket);
    socket.once('close', () => tracked.sockets.delete(socket));
  });
  server.on('session', (session: Http2Session) => {
    tracked.sessions.add(session);
    session.once('close', () => tracked.sessions.delete(session));
  });
  return server;
}

/** The one line a supervisor waits for. */
export function readyLine(system: string, urls: Record<string, string>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ event: 'ready', system, urls, ...extra });
}

/**
 * Runs a system until SIGTERM or SIGINT, or until its parent process exits (src/systems/parent-watch.ts):
 * prints the ready line once it listens, then closes it and exits 0. A second signal, or a close that
 * takes longer than `graceMs`, exits at once.
 */
export async function serveUntilSignalled(system: string, start: () => Promise<Running>, graceMs = 5000): Promise<number> {
  configureInjectedCpu();
  installProfileSignal(system);
  const running = await start();
  process.stdout.write(`${readyLine(system, running.urls)}\n`);
  // Under a supervisor (MUXBENCH_STATS_MS set), report event-loop counters as JSON lines on stdout. Timer
  // callbacks run after the poll phase, so the idle time in each line is up to date.
  const statsMs = Number(process.env.MUXBENCH_STATS_MS);
  if (statsMs > 0) {
    setInterval(() => {
      const elu = performance.eventLoopUtilization();
      process.stdout.write(`${JSON.stringify({ event: 'stats', eluActiveMs: elu.active, eluIdleMs: elu.idle, rssBytes: process.memoryUsage.rss() })}\n`);
    }, statsMs).unref();
  }
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (why: string): void => {
      if (stopping) {
        process.exit(1);
      }
      stopping = true;
      stopWatching();
      process.stderr.write(`${system}: ${why}, shutting down\n`);
      const timer = setTimeout(() => {
        process.stderr.write(`${system}: close took longer than ${graceMs} ms, exiting anyway\n`);
        process.exit(1);
      }, graceMs);
      timer.unref();
      running.close().then(
        () => resolve(0),
        (err: unknown) => {
          process.stderr.write(`${system}: error while closing: ${String(err)}\n`);
          resolve(1);
        },
      );
    };
    const stopWatching = watchParent(() => stop('its parent process exited'));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

// --- option values ---------------------------------------------------------------------------------

export function intOption(name: string, raw: string | undefined, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

export function choiceOption<T extends string>(name: string, raw: string | undefined, choices: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${raw}'`);
  }
  return raw as T;
}
