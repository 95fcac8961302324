/**
 * The load engine's own process (`muxbench load-worker`): reads one job as JSON on stdin, runs it, and
 * prints one JSON line: {"event":"result",...} or {"event":"error","message":...}.
 */
import { type EngineSpec, runEngine } from './engine.ts';
import type { LoadBudget, LoadModel } from './types.ts';

export interface LoadJob {
  spec: EngineSpec;
  model: LoadModel;
  budget: LoadBudget;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function loadWorkerMain(): Promise<number> {
  let job: LoadJob;
  try {
    job = JSON.parse(await readStdin()) as LoadJob;
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ event: 'error', message: `bad job on stdin: ${(err as Error).message}` })}\n`);
    return 2;
  }
  try {
    const result = await runEngine(job.spec, job.model, job.budget);
    process.stdout.write(`${JSON.stringify({ event: 'result', result })}\n`);
    return 0;
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ event: 'error', message: err instanceof Error ? err.message : String(err) })}\n`);
    return 1;
  }
}
