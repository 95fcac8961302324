/**
 * The well-behaved load in its own process (`muxbench attack-load`, pinned to the load core when
 * possible), so that the attacker's bursts in the harness process cannot delay it and pass for the
 * target's slowness. The two sides talk in JSON lines: the job first, then phase marks and requests for
 * the record; the child answers each request by id.
 */
import { MuxbenchError } from '../errors.ts';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { h2Requester } from '../load/h2/requester.ts';
import type { Expectation } from '../load/types.ts';
import { type CpuSet, pinnedCommand } from '../os/cpus.ts';
import { MUXBENCH_BIN, track } from '../run/supervise.ts';
import { type LoadPoll, type LoadRecord, PhasedLoad } from './phased-load.ts';

export interface LoadJob {
  /** http://host:port of the target (h2c prior knowledge) */
  url: string;
  path: string;
  concurrency: number;
  connections: number;
  timeoutMs: number;
  expectStatus: number;
  /** the body must be the byte pattern of this length (null: status only) */
  expectPatternBytes: number | null;
}

/** A record plus the load process's own CPU over it (near 1.0 = the load, not the target, was the limit). */
export interface MeasuredRecord extends LoadRecord {
  loadCpu: number;
}

type Command = { cmd: 'begin'; phase: string } | { cmd: 'phase'; name: string } | { cmd: 'poll'; id: number } | { cmd: 'end'; id: number } | { cmd: 'stop' };

type Reply =
  | { event: 'ready' }
  | { event: 'poll'; id: number; poll: LoadPoll | null }
  | { event: 'record'; id: number; record: MeasuredRecord | null }
  | { event: 'error'; message: string };

const START_TIMEOUT_MS = 20_000;
const REPLY_TIMEOUT_MS = 5_000;
const STOP_GRACE_MS = 8_000;

/** The child side: runs until told to stop or until stdin closes (the harness went away). */
export async function attackLoadMain(): Promise<number> {
  const lines = createInterface({ input: process.stdin });
  const send = (r: Reply): void => void process.stdout.write(`${JSON.stringify(r)}\n`);
  let load: PhasedLoad | null = null;
  let cpuAtBegin = process.cpuUsage();
  let wallAtBegin = performance.now();
  for await (const line of lines) {
    if (line.trim() === '') continue;
    if (load === null) {
      try {
        const job = JSON.parse(line) as LoadJob;
        const expect: Expectation = {
          status: job.expectStatus,
          ...(job.expectPatternBytes === null ? {} : { body: { patternLength: job.expectPatternBytes } }),
        };
        const requester = h2Requester({
          url: job.url,
          connections: job.connections,
          streamsPerConnection: Math.max(1, Math.ceil(job.concurrency / job.connections)),
          method: 'GET',
          path: job.path,
          expect,
          timeoutMs: job.timeoutMs,
        });
        load = new PhasedLoad(requester, job.concurrency);
        load.start();
        send({ event: 'ready' });
      } catch (err) {
        send({ event: 'error', message: `bad load job: ${(err as Error).message}` });
        return 2;
      }
      continue;
    }
    const c = JSON.parse(line) as Command;
    switch (c.cmd) {
      case 'begin':
        cpuAtBegin = process.cpuUsage();
        wallAtBegin = performance.now();
        load.begin(c.phase);
        break;
      case 'phase':
        load.phase(c.name);
        break;
      case 'poll':
        send({ event: 'poll', id: c.id, poll: load.poll() });
        break;
      case 'end': {
        const record = load.end();
        const cpu = process.cpuUsage(cpuAtBegin);
        const wall = Math.max(1, performance.now() - wallAtBegin);
        send({
          event: 'record',
          id: c.id,
          record: record === null ? null : { ...record, loadCpu: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 1000) / 1000 },
        });
        break;
      }
      case 'stop':
        await load.stop();
        return 0;
    }
  }
  await load?.stop();
  return 0;
}

export class LoadProcessError extends MuxbenchError {
  override readonly name = 'LoadProcessError';
  readonly code = 'MUX_ERR_LOAD_PROCESS';
}

/** The harness side: one load process per target, kept across that target's patterns. */
export class LoadProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: Reply) => void>();
  private stderr = '';
  private broken: string | null = null;
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr!.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString()).slice(-2000)));
  }

  static async start(job: LoadJob, cpu: CpuSet | undefined): Promise<LoadProcess> {
    const [cmd, ...args] = pinnedCommand([process.execPath, MUXBENCH_BIN, 'attack-load'], cpu);
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    track(child);
    const lp = new LoadProcess(child);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new LoadProcessError(`the load process was not ready within ${START_TIMEOUT_MS} ms${lp.stderrTail()}`)),
        START_TIMEOUT_MS,
      );
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        let r: Reply;
        try {
          r = JSON.parse(line) as Reply;
        } catch {
          return;
        }
        if (r.event === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (r.event === 'error') {
          clearTimeout(timer);
          reject(new LoadProcessError(r.message));
        } else {
          lp.waiting.get(r.id)?.(r);
          lp.waiting.delete(r.id);
        }
      });
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new LoadProcessError(`the load process exited (${sig ?? `code ${code}`})${lp.stderrTail()}`));
      });
    });
    child.stdin!.write(`${JSON.stringify(job)}\n`);
    try {
      await ready;
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    return lp;
  }

  begin(phase: string): void {
    this.command({ cmd: 'begin', phase });
  }

  phase(name: string): void {
    this.command({ cmd: 'phase', name });
  }

  /** Why the load process cannot answer any more (it exited, or stopped answering), or null while it works. */
  get failure(): string | null {
    if (this.broken !== null) return this.broken;
    if (this.child.exitCode !== null || this.child.signalCode !== null)
      return `the load process exited (${this.child.signalCode ?? `code ${this.child.exitCode}`})${this.stderrTail()}`;
    return null;
  }

  /** null when the load process cannot answer (see `failure`). */
  async poll(): Promise<LoadPoll | null> {
    const r = await this.ask('poll');
    return r?.event === 'poll' ? r.poll : null;
  }

  async end(): Promise<MeasuredRecord | null> {
    const r = await this.ask('end');
    return r?.event === 'record' ? r.record : null;
  }

  /** Asks the load to stop (it waits for outstanding requests), then kills it if it takes too long. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.command({ cmd: 'stop' });
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  private stderrTail(): string {
    return this.stderr.trim() ? `: ${this.stderr.trim()}` : '';
  }

  private command(c: Command): void {
    if (this.child.stdin!.writable) this.child.stdin!.write(`${JSON.stringify(c)}\n`);
  }

  private ask(cmd: 'poll' | 'end'): Promise<Reply | null> {
    if (this.failure !== null) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        this.broken = `the load process did not answer '${cmd}' within ${REPLY_TIMEOUT_MS} ms${this.stderrTail()}`;
        resolve(null);
      }, REPLY_TIMEOUT_MS);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.command({ cmd, id });
    });
  }
}
