/**
 * Progress while a scenario runs: a bar redrawn in place on a terminal, plain lines in CI (CI=true) or
 * when stderr is not a TTY. Always on stderr, so stdout stays clean for results.
 */
import type { TrialResult } from '../measure/results.ts';
import { micros } from '../report/format.ts';

export interface Progress {
  start(totalTrials: number): void;
  trial(label: string, detail: string): void;
  note(message: string): void;
  done(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const interactive = stream.isTTY === true && !process.env.CI;
  let total = 0;
  let done = 0;
  const t0 = Date.now();
  const eta = (): string => {
    if (done === 0) return '';
    const left = ((Date.now() - t0) / done) * (total - done);
    return ` · ~${Math.ceil(left / 1000)} s left`;
  };
  if (!interactive) {
    return {
      start: (n) => {
        total = n;
      },
      trial: (label, detail) => {
        done++;
        stream.write(`[${done}/${total}] ${label}: ${detail}\n`);
      },
      note: (m) => stream.write(`${m}\n`),
      done: () => {},
    };
  }
  const width = 28;
  const draw = (label: string): void => {
    const filled = total ? Math.round((done / total) * width) : 0;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${eta()}  ${label}`;
    stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 120) - 1)}`);
  };
  return {
    start: (n) => {
      total = n;
      draw('starting');
    },
    trial: (label, detail) => {
      done++;
      draw(`${label}: ${detail}`);
    },
    note: (m) => {
      stream.write(`\r\x1b[2K${m}\n`);
      draw('');
    },
    done: () => stream.write('\r\x1b[2K'),
  };
}

/** Progress that prints nothing (`muxbench scenario --quiet`). */
export const SILENT_PROGRESS: Progress = { start() {}, trial() {}, note() {}, done() {} };

/** A trial as a progress line reads: "8,470 req/s, p99 2.86 ms, 3 errors". */
export function trialText(trial: TrialResult): string {
  const errors = Object.values(trial.errors).reduce((a, b) => a + b, 0);
  return `${Math.round(trial.requestsPerSec).toLocaleString('en-US')} req/s, p99 ${micros(trial.latency.p99Us)}${errors ? `, ${errors.toLocaleString('en-US')} errors` : ''}`;
}
