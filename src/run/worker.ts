/**
 * The runner's side of a load worker (`muxbench load-worker`, pinned when asked): one process per point,
 * driven by commands (see load/worker-main.ts). Every command has a time limit; past it, or when the run is
 * interrupted, the worker is killed and the command fails with LoadWorkerError.
 */
import { MuxbenchError } from '../errors.ts';
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import type { EngineSpec } from '../load/engine.ts';
import type { PacedResult, WarmupResult } from '../load/loop.ts';
import type { LoadModel } from '../load/types.ts';
import type { WorkerCommand } from '../load/worker-main.ts';
import type { SteadyPolicy } from '../measure/steady.ts';
import { type CpuSet, pinnedCommand } from '../os/cpus.ts';
import { MUXBENCH_BIN, track } from './supervise.ts';

/** Room for the worker to start and load its engine, and for a command's reply beyond its own time. */
const SLACK_MS = 20_000;
const CLOSE_LIMIT_MS = 10_000;

export class LoadWorkerError extends MuxbenchError {
  override readonly name = 'LoadWorkerError';
  readonly code = 'MUX_ERR_LOAD_WORKER';
}

type WorkerEvent = { event: string; [key: string]: unknown };

export interface TrialHooks {
  /** the measured window opened (sample the systems now), at `openedAt` (ms since the epoch, by the worker's clock) */
  onOpen?: (openedAt?: number) => void;
  /** the measured window closed; its requests may still be answering */
  onClose?: () => void;
}

export interface TrialOptions extends TrialHooks {
  maxRequests?: number;
  warmupMs?: number;
  drainMs?: number;
  /** when the window opens, ms since the epoch (load workers opening theirs together) */
  startAt?: number;
}

/** What measures one window: an engine of one worker, or the engines of several (run/load-workers.ts). */
export interface TrialEngine {
  /** whether the load runs a continuous loop (false: autocannon / h2load run whole trials on their own) */
  readonly continuous: boolean;
  warmUp(policy: SteadyPolicy, startAt?: number): Promise<WarmupResult | null>;
  trial(durationMs: number, options?: TrialOptions): Promise<PacedResult>;
  pause(drainMs?: number): Promise<number>;
}

/** One engine of a worker: what a point (or one side of a gate point) drives. */
export class EngineHandle implements TrialEngine {
  constructor(
    private readonly session: LoadSession,
    readonly id: string,
    /** whether the engine runs a continuous loop (false: autocannon / h2load run whole trials on their own) */
    readonly continuous: boolean,
  ) {}

  /** Warm-up until steady (null: the engine runs its own loop and cannot be judged). */
  async warmUp(policy: SteadyPolicy, startAt?: number): Promise<WarmupResult | null> {
    const wait = startAt === undefined ? 0 : Math.max(0, startAt - Date.now());
    const e = await this.session.command({ cmd: 'warmup', engine: this.id, policy, startAt }, 'warm', policy.maxMs + wait);
    return (e.warmup as WarmupResult | null) ?? null;
  }

  /** One measured window; the load goes on afterwards (until `pause`). */
  async trial(durationMs: number, options: TrialOptions = {}): Promise<PacedResult> {
    const wait = options.startAt === undefined ? 0 : Math.max(0, options.startAt - Date.now());
    const limit = wait + durationMs + (options.warmupMs ?? 0) + (options.drainMs ?? 5000) + SLACK_MS;
    this.session.send({ cmd: 'trial', engine: this.id, durationMs, maxRequests: options.maxRequests, warmupMs: options.warmupMs, startAt: options.startAt });
    const opened = await this.session.expect('trial-open', limit);
    options.onOpen?.(typeof opened.openedAt === 'number' ? opened.openedAt : undefined);
    await this.session.expect('trial-closed', limit);
    options.onClose?.();
    const e = await this.session.expect('trial', limit);
    return e.result as PacedResult;
  }

  /** Stops sending until the next warm-up or trial; resolves with the requests abandoned by the drain. */
  async pause(drainMs = 5000): Promise<number> {
    if (!this.continuous) return 0;
    const e = await this.session.command({ cmd: 'pause', engine: this.id }, 'paused', drainMs);
    return Number(e.abandoned ?? 0);
  }
}

/**
 * Several continuous engines of one worker driven together: the load groups of a point. They warm up
 * until the first (the primary) has settled and are measured over the same windows; results come in the
 * engines' order.
 */
export class EngineSet {
  constructor(
    private readonly session: LoadSession,
    readonly ids: readonly string[],
  ) {}

  async warmUp(policy: SteadyPolicy): Promise<WarmupResult[]> {
    const e = await this.session.command({ cmd: 'warmup-together', engines: [...this.ids], policy }, 'warm', policy.maxMs);
    return e.warmups as WarmupResult[];
  }

  async trial(durationMs: number, hooks: TrialHooks = {}, drainMs = 5000): Promise<PacedResult[]> {
    const limit = durationMs + drainMs + SLACK_MS;
    this.session.send({ cmd: 'trial-together', engines: [...this.ids], durationMs });
    await this.session.expect('trial-open', limit);
    hooks.onOpen?.();
    await this.session.expect('trial-closed', limit);
    hooks.onClose?.();
    const e = await this.session.expect('trial', limit);
    return e.results as PacedResult[];
  }

  /** Stops every engine's sending (one after another); resolves with the requests abandoned by the drains. */
  async pause(): Promise<number> {
    let abandoned = 0;
    for (const id of this.ids) abandoned += Number((await this.session.command({ cmd: 'pause', engine: id }, 'paused', 5000)).abandoned ?? 0);
    return abandoned;
  }
}

export class LoadSession {
  private readonly child: ChildProcess;
  private readonly queue: WorkerEvent[] = [];
  private waiter: ((e: WorkerEvent | null) => void) | null = null;
  private stderr = '';
  private exited = false;
  private readonly gone: Promise<void>;
  private readonly onAbort = (): void => void this.child.kill('SIGKILL');

  private constructor(
    cpu: CpuSet | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {
    const [cmd, ...args] = pinnedCommand([process.execPath, MUXBENCH_BIN, 'load-worker'], cpu);
    this.child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    track(this.child);
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{"event":')) return;
      this.push(JSON.parse(line) as WorkerEvent);
    });
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString()).slice(-4000)));
    this.child.stdin!.on('error', () => {});
    this.gone = new Promise((resolve) => {
      const end = (): void => {
        this.exited = true;
        this.push(null);
        resolve();
      };
      this.child.on('exit', end);
      this.child.on('error', end);
    });
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** A worker process (pinned to `cpu` when given), with no engine yet. */
  static start(cpu: CpuSet | undefined, signal?: AbortSignal): LoadSession {
    return new LoadSession(cpu, signal);
  }

  /** A worker with one engine open: what a scenario point needs. */
  static async single(
    spec: EngineSpec,
    model: LoadModel,
    cpu: CpuSet | undefined,
    signal?: AbortSignal,
  ): Promise<{ session: LoadSession; engine: EngineHandle }> {
    const session = LoadSession.start(cpu, signal);
    try {
      return { session, engine: await session.open('main', spec, model) };
    } catch (err) {
      await session.close();
      throw err;
    }
  }

  /** Opens several engines to be driven together (the load groups of a point); each must run a continuous loop. */
  async openSet(loads: readonly { id: string; spec: EngineSpec; model: LoadModel }[]): Promise<EngineSet> {
    for (const l of loads) {
      const e = await this.open(l.id, l.spec, l.model);
      if (!e.continuous) throw new LoadWorkerError(`load '${l.id}': its engine runs whole trials on its own and cannot share a point with other loads`);
    }
    return new EngineSet(
      this,
      loads.map((l) => l.id),
    );
  }

  /** Opens an engine in this worker (its connections are made, nothing sent yet). */
  async open(id: string, spec: EngineSpec, model: LoadModel, drainMs?: number): Promise<EngineHandle> {
    const e = await this.command({ cmd: 'open', engine: id, spec, model, drainMs }, 'opened', 0);
    return new EngineHandle(this, id, e.continuous !== false);
  }

  /** Kills the worker now: whatever it was doing fails (used when the target died under it). */
  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  /**
   * Ends the worker (politely, then by force) and resolves once its process has exited, so that nothing it
   * started outlives the call. Never throws.
   */
  async close(): Promise<void> {
    this.signal?.removeEventListener('abort', this.onAbort);
    if (this.exited) return;
    try {
      this.send({ cmd: 'close' });
      await this.expect('closed', CLOSE_LIMIT_MS);
      this.child.stdin!.end();
      await Promise.race([this.gone, delay(CLOSE_LIMIT_MS, undefined, { ref: false })]);
    } catch {
      // killed below
    }
    if (!this.exited) this.child.kill('SIGKILL');
    await this.gone;
  }

  /** Sends a command and waits for its reply: `ms` of its own work plus the slack. */
  async command(c: WorkerCommand, reply: string, ms: number): Promise<WorkerEvent> {
    this.send(c);
    return this.expect(reply, ms + SLACK_MS);
  }

  send(c: WorkerCommand): void {
    if (this.exited) throw this.failure(`the load worker has exited`);
    this.child.stdin!.write(`${JSON.stringify(c)}\n`);
  }

  private push(e: WorkerEvent | null): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(e);
    } else if (e) this.queue.push(e);
  }

  private next(): Promise<WorkerEvent | null> {
    const e = this.queue.shift();
    if (e) return Promise.resolve(e);
    if (this.exited) return Promise.resolve(null);
    return new Promise((r) => (this.waiter = r));
  }

  async expect(event: string, limitMs: number): Promise<WorkerEvent> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), limitMs)));
    try {
      const e = await Promise.race([this.next(), timeout]);
      if (e === 'timeout') {
        this.waiter = null;
        this.child.kill('SIGKILL');
        throw this.failure(`the load worker did not answer '${event}' within ${limitMs} ms`);
      }
      if (e === null)
        throw this.failure(
          this.signal?.aborted ? 'the run was interrupted' : `the load worker exited (${this.child.signalCode ?? `code ${this.child.exitCode}`})`,
        );
      if (e.event === 'error') throw this.failure(`the load engine failed: ${String(e.message)}`);
      if (e.event !== event) throw this.failure(`the load worker answered '${e.event}' where '${event}' was expected`);
      return e;
    } finally {
      clearTimeout(timer);
    }
  }

  private failure(message: string): LoadWorkerError {
    const tail = this.stderr.trim();
    return new LoadWorkerError(tail ? `${message}: ${tail}` : message);
  }
}
