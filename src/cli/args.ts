/**
 * What every command shares on its command line: node:util's parseArgs with its errors turned into one
 * plain line that names the option (its own text explains `--` and positionals, which nobody asked),
 * and the exit statuses the commands agree on.
 */
import { constants } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../systems/serve.ts';

export { UsageError };

/** Exit statuses shared by `scenario`, `attack` and `bench/all.ts` (the gate and compare have their own 0/1/2). */
export const EXIT = {
  ok: 0,
  /** the run finished, but some point (pattern) failed */
  failed: 1,
  /** bad command line or bad scenario file: nothing was run */
  usage: 2,
} as const;

/** 128 + the signal's number, as a shell reports a process the signal ended: SIGINT 130, SIGTERM 143. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** parseArgs, throwing UsageError with a one-line message for unknown options and missing values. */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw asUsageError(err) ?? err;
  }
}

/** A command-line error as a UsageError (parseArgs' ERR_PARSE_ARGS_* rephrased), or null for any other error. */
export function asUsageError(err: unknown): UsageError | null {
  if (err instanceof UsageError) return err;
  if (!(err instanceof Error)) return null;
  const code = String((err as { code?: unknown }).code);
  if (!code.startsWith('ERR_PARSE_ARGS')) return null;
  const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? '';
  // "Option '-d, --duration <value>' argument missing" names the short and the long form: keep the long one.
  const option = /(--?[\w-]+)(?: <value>)?$/.exec(quoted)?.[1] ?? quoted;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option '${quoted}'`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument '${quoted}'`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing/.test(err.message)) return new UsageError(`${option} needs a value`);
      if (/does not take an argument/.test(err.message)) return new UsageError(`${option} takes no value`);
      return new UsageError(err.message.split('. ')[0]!);
    default:
      return new UsageError(err.message.split('. ')[0]!);
  }
}

/** The one line a usage error gets: what was wrong, and where the options are listed. */
export function usageErrorLine(command: string, message: string): string {
  return `muxbench ${command}: ${message} (see muxbench ${command} --help)\n`;
}

/** -h / --help anywhere before a `--`. */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * A duration as people write it on command lines (autocannon's -d, k6's --duration): 500ms, 10s, 2m, or a
 * bare number of seconds; in whole milliseconds.
 */
export function parseDurationMs(option: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${option} takes a duration like 500ms, 10s or 2m, got '${text}'`);
  // rounded to a nanosecond first: 1.1 × 1000 is 1100.0000000000002 in floating point
  const ms = Math.round(Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000) * 1e6) / 1e6;
  if (!Number.isInteger(ms)) throw new UsageError(`${option} must be whole milliseconds, got '${text}'`);
  return ms;
}

/**
 * `--cpus systems=0-3,load=4-7`: the two sets, either left out. A set may hold commas itself
 * (systems=0-3,6,load=7): the value splits before each `name=`.
 */
export function parseCpusOption(text: string): { systems?: string; load?: string } {
  const out: { systems?: string; load?: string } = {};
  for (const part of text.split(/,(?=[a-z]+=)/)) {
    const m = /^(systems|load)=(\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*)$/.exec(part.trim());
    if (!m) throw new UsageError(`--cpus takes systems=SET,load=SET (a SET as taskset writes it: 0-3,6), got '${text}'`);
    out[m[1] as 'systems' | 'load'] = m[2]!;
  }
  return out;
}
