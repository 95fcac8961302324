/**
 * Runs one load job in its own process (`muxbench load-worker`, pinned when asked), bounded in time:
 * the job's warm-up + duration + drain, plus start-up slack; past that the worker is killed.
 */
import { spawn } from 'node:child_process';
import type { LoadJob } from '../load/worker-main.ts';
import type { PacedResult } from '../load/pacing.ts';
import { pinnedCommand } from './cpus.ts';
import { MUXBENCH_BIN, track } from './supervise.ts';

const STARTUP_SLACK_MS = 20_000;

export class LoadWorkerError extends Error {
  override readonly name = 'LoadWorkerError';
}

export function runLoadJob(job: LoadJob, cpu: number | undefined, signal?: AbortSignal): Promise<PacedResult> {
  const [cmd, ...args] = pinnedCommand([process.execPath, MUXBENCH_BIN, 'load-worker'], cpu);
  const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  track(child);
  const limitMs = job.budget.warmupMs + job.budget.durationMs + (job.budget.drainMs ?? 5000) + STARTUP_SLACK_MS;
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new LoadWorkerError(`the load worker did not finish within ${limitMs} ms`));
    }, limitMs);
    const onAbort = (): void => {
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new LoadWorkerError(`could not start the load worker: ${err.message}`));
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const line = stdout.split('\n').find((l) => l.startsWith('{"event":'));
      if (!line) return reject(new LoadWorkerError(`the load worker exited (${sig ?? `code ${code}`}) without a result${stderr ? `: ${stderr.trim()}` : ''}`));
      const msg = JSON.parse(line) as { event: string; result?: PacedResult; message?: string };
      if (msg.event === 'result' && msg.result) resolve(msg.result);
      else reject(new LoadWorkerError(`the load engine failed: ${msg.message ?? 'unknown error'}`));
    });
    child.stdin.end(JSON.stringify(job));
  });
}
