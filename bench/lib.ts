/** What the benchmark scripts share: the environment they ran in, medians, and where results go. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, type as osType } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export function environment(extra: Record<string, unknown> = {}) {
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    commit = null;
  }
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    os: `${osType()} ${release()}`,
    commit,
    date: new Date().toISOString(),
    ...extra,
  };
}

export { median } from '../src/measure/stats.ts';

/** Prints the result as JSON on stdout and keeps a copy under reports/bench/. */
export function writeBenchResult(name: string, result: unknown): void {
  const json = JSON.stringify(result, null, 2);
  process.stdout.write(`${json}\n`);
  const dir = join(ROOT, 'reports', 'bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${json}\n`);
}
