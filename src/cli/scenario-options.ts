/**
 * The command-line options that change a scenario before it runs (`-c`, `-d`, `--trials`, `--warmup`,
 * `--load-workers`, `--set`, `--system`), as overrides: shared by `muxbench scenario` and `muxbench k8s`.
 */
import type { ScenarioOverrides } from '../measure/results.ts';
import { parseDurationMs, UsageError } from './args.ts';

/** The parseArgs options behind them. */
export const SCENARIO_OPTIONS = {
  concurrency: { type: 'string', short: 'c', multiple: true },
  duration: { type: 'string', short: 'd' },
  trials: { type: 'string' },
  warmup: { type: 'string' },
  'load-workers': { type: 'string' },
  system: { type: 'string', multiple: true },
  set: { type: 'string', multiple: true },
} as const;

/** "10,100" (and repeats of the option) as numbers; what they may be is the scenario's checks' to say. */
function numberList(option: string, texts: readonly string[]): number[] {
  return texts
    .flatMap((t) => t.split(','))
    .map((v) => {
      const n = Number(v.trim());
      if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${option} takes numbers, got '${texts.join(',')}'`);
      return n;
    });
}

/** `KEY=V[,V…]` after --set: numbers and true/false are read as such, anything else stays text. */
function setOption(text: string): { key: string; values: (number | string | boolean)[] } {
  const eq = text.indexOf('=');
  const key = text.slice(0, eq).trim();
  const values = text
    .slice(eq + 1)
    .split(',')
    .map((v) => v.trim());
  if (eq <= 0 || key === '' || values.some((v) => v === '')) throw new UsageError(`--set takes KEY=VALUE[,VALUE…], got '${text}'`);
  return { key, values: values.map((v) => (v === 'true' ? true : v === 'false' ? false : /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(v) ? Number(v) : v)) };
}

export interface ScenarioValues {
  concurrency?: string[];
  duration?: string;
  trials?: string;
  warmup?: string;
  'load-workers'?: string;
  system?: string[];
  set?: string[];
}

/** The options that change the scenario, as overrides (undefined when none does). */
export function scenarioOverrides(values: ScenarioValues): ScenarioOverrides | undefined {
  const set: NonNullable<ScenarioOverrides['set']> = [];
  if (values.concurrency) set.push({ key: 'concurrency', values: numberList('--concurrency', values.concurrency) });
  if (values.duration !== undefined) set.push({ key: 'durationMs', values: [parseDurationMs('--duration', values.duration)] });
  if (values.trials !== undefined) set.push({ key: 'trials', values: numberList('--trials', [values.trials]) });
  if (values.warmup !== undefined) set.push({ key: 'warmupMs', values: [parseDurationMs('--warmup', values.warmup)] });
  if (values['load-workers'] !== undefined) set.push({ key: 'loadWorkers', values: numberList('--load-workers', [values['load-workers']]) });
  for (const text of values.set ?? []) set.push(setOption(text));
  const systems = (values.system ?? []).flatMap((s) => s.split(',')).map((s) => s.trim());
  if (systems.some((s) => s === '')) throw new UsageError(`--system takes ids, got '${values.system!.join(',')}'`);
  if (set.length === 0 && systems.length === 0) return undefined;
  return { ...(systems.length ? { systems } : {}), ...(set.length ? { set } : {}) };
}
