/**
 * `muxbench attack`: arguments to a plan, the run with its progress on stderr, then the table on stdout
 * and the results (JSON + HTML) under reports/attack/<run-id>/. Exit 0 when every pattern held, 1 when one
 * did not (failed, crashed, skipped, or the harness erred), 2 for bad input, 130 / 143 when stopped by
 * SIGINT / SIGTERM.
 */
import { parseArgs } from 'node:util';
import { asUsageError, usageErrorLine } from '../cli/args.ts';
import { onInterrupt } from '../cli/interrupt.ts';
import { AttackInputError } from './errors.ts';
import { type AttackPlan, loadPlan, parsePlan, planSchema, toRunOptions } from './plan.ts';
import { PATTERNS } from './patterns/index.ts';
import { REFERENCE_TARGETS } from './targets.ts';
import { DEFAULT_SETTINGS } from './run.ts';

const d = DEFAULT_SETTINGS;

export const ATTACK_USAGE = `usage: muxbench attack <target>... [options]

Runs known HTTP/2 abuse patterns against each target, one at a time, while a well-behaved load
(closed loop, ${d.load.concurrency} requests in flight over ${d.load.connections} connections) keeps running, and reports per pattern:
the target's answer against what RFC 9113 expects, its CPU and RSS growth, the load's goodput and p99
under attack against the second before, and how soon it served again after the attack.

targets:
  http://HOST:PORT[/path]   an h2c server (prior knowledge, no TLS); the path is what the load asks for.
                            Loopback addresses only, unless --allow-remote.
${Object.entries(REFERENCE_TARGETS)
  .map(([name, what]) => `  ${name.padEnd(26)}${what}`)
  .join('\n')}
  Reference systems are started (pinned to core 0 where possible) and ended by muxbench, and restarted
  after a pattern that crashed them or left them not serving.

options:
  --targets a,b,c           targets, comma-separated (same as naming them as arguments)
  --patterns a,b,c          patterns to run, in this order (default: all; see --list)
  --list                    list the patterns: CVE, what they do, the answer RFC 9113 expects, bounds
  --plan NAME|FILE          an attack plan: scenarios/NAME.json or a JSON file with the same settings as
                            these options in camelCase ({"targets": [...], "baselineMs": 1000, ...});
                            options given here override it
  --scale F                 multiply every pattern's counts (frames, streams, connections) by F (default 1)
  --set PATTERN.PARAM=N     one pattern parameter, e.g. --set rapid-reset.streams=100000 (repeatable)
  --allow-remote            allow targets that are not loopback addresses (only servers you may overload)
  --pid N                   the URL target's process: CPU, RSS and crash detection
  --large-path P            URL targets: path of a large response (buffering patterns; default: the URL's)
  --upload-path P           URL targets: path that reads a request body (default: the URL's)
  --expect-status N         URL targets: the status a well-behaved request gets (default 200)
  --warmup-ms N             load before the first pattern (default ${d.warmupMs})
  --baseline-ms N           load-only window before each attack (default ${d.baselineMs})
  --attack-ms N             longest attack traffic per pattern (default ${d.attackMs})
  --observe-ms N            answers read, connections held, after the traffic: at most this long, less once
                            the answer is complete; the attack window lasts at least this long (default ${d.observeMs})
  --recovery-ms N           longest wait for the first success after the attack (default ${d.recoveryMs})
  --max-attack-bytes N      attack bytes per pattern (default ${d.maxAttackBytes})
  --concurrency N           well-behaved requests in flight (default ${d.load.concurrency})
  --load-connections N      connections they use (default ${d.load.connections})
  --request-timeout-ms N    a well-behaved request fails after this long (default ${d.load.requestTimeoutMs})
  --max-rss-growth-mb N     a pattern fails when the target's RSS grows more (default ${d.limits.maxRssGrowthBytes / 2 ** 20})
  --max-recovery-ms N       ... or when it serves again only later than this (default ${d.limits.maxRecoveryMs})
  --stall-ms N              a gap without success this long is reported as "stopped serving" (default ${d.limits.stallMs})
  --restart-each            restart reference targets before every pattern (cleaner memory figures, slower)
  --reports-dir DIR         where results go: DIR/attack/<run-id>/ (default reports)
  -h, --help                this text

exit status: 0 every pattern held, 1 some did not, 2 bad input, 130 / 143 stopped by SIGINT / SIGTERM
(or the parent's exit) after the current pattern, with the results so far.`;

/** Command-line flags that hold one plan setting, with the plan key they set. */
const NUMBER_FLAGS = {
  scale: 'scale',
  pid: 'pid',
  'expect-status': 'expectStatus',
  'warmup-ms': 'warmupMs',
  'baseline-ms': 'baselineMs',
  'attack-ms': 'attackMs',
  'observe-ms': 'observeMs',
  'recovery-ms': 'recoveryMs',
  'max-attack-bytes': 'maxAttackBytes',
  concurrency: 'concurrency',
  'load-connections': 'loadConnections',
  'request-timeout-ms': 'requestTimeoutMs',
  'max-rss-growth-mb': 'maxRssGrowthMb',
  'max-recovery-ms': 'maxRecoveryMs',
  'stall-ms': 'stallMs',
} as const satisfies Record<string, keyof AttackPlan>;

const STRING_FLAGS = { 'large-path': 'largePath', 'upload-path': 'uploadPath' } as const satisfies Record<string, keyof AttackPlan>;

export interface ParsedCommand {
  kind: 'run' | 'list' | 'help';
  plan: AttackPlan;
  sets: string[];
  reportsDir: string | undefined;
}

/** argv → a plan (the --plan file, if any, with the flags laid over it). Throws AttackInputError. */
export function parseAttackArgs(argv: string[]): ParsedCommand {
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...Object.fromEntries([...Object.keys(NUMBER_FLAGS), ...Object.keys(STRING_FLAGS)].map((k) => [k, { type: 'string' as const }])),
        targets: { type: 'string' },
        patterns: { type: 'string' },
        plan: { type: 'string' },
        set: { type: 'string', multiple: true },
        list: { type: 'boolean' },
        'allow-remote': { type: 'boolean' },
        'restart-each': { type: 'boolean' },
        'reports-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new AttackInputError('MUX_ERR_ATTACK_USAGE', (asUsageError(err) ?? (err as Error)).message);
  }
  const empty: AttackPlan = { targets: ['-'] };
  if (values.help) return { kind: 'help', plan: empty, sets: [], reportsDir: undefined };
  if (values.list) return { kind: 'list', plan: empty, sets: [], reportsDir: undefined };

  const base: Partial<AttackPlan> = typeof values.plan === 'string' ? loadPlan(values.plan).plan : {};
  const flags: Partial<AttackPlan> = {};
  const listed = (v: unknown): string[] =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
      : [];
  const targets = [...positionals, ...listed(values.targets)];
  if (targets.length > 0) flags.targets = targets;
  if (values.patterns !== undefined) {
    const patterns = listed(values.patterns);
    if (patterns.length === 0) throw new AttackInputError('MUX_ERR_ATTACK_USAGE', '--patterns: name at least one pattern (muxbench attack --list)');
    flags.patterns = patterns;
  }
  for (const [flag, key] of Object.entries(NUMBER_FLAGS)) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    const n = raw.trim() === '' ? Number.NaN : Number(raw);
    const checked = planSchema.shape[key].safeParse(n);
    if (!checked.success || !Number.isFinite(n)) {
      throw new AttackInputError(
        'MUX_ERR_ATTACK_USAGE',
        `--${flag}: '${raw}' is not valid: ${checked.success ? 'not a number' : checked.error.issues[0]!.message}`,
      );
    }
    (flags as Record<string, unknown>)[key] = n;
  }
  for (const [flag, key] of Object.entries(STRING_FLAGS)) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    if (!raw.startsWith('/')) throw new AttackInputError('MUX_ERR_ATTACK_USAGE', `--${flag}: a path starts with '/', got '${raw}'`);
    flags[key] = raw;
  }
  if (values['allow-remote']) flags.allowRemote = true;
  if (values['restart-each']) flags.restartEach = true;
  const merged = { ...base, ...flags };
  if (merged.targets === undefined || merged.targets.length === 0) {
    throw new AttackInputError(
      'MUX_ERR_ATTACK_USAGE',
      `name a target: an h2c URL (http://127.0.0.1:PORT) or one of ${Object.keys(REFERENCE_TARGETS).join(', ')}`,
    );
  }
  return {
    kind: 'run',
    plan: parsePlan(merged, 'the command line'),
    sets: (values.set as string[] | undefined) ?? [],
    reportsDir: typeof values['reports-dir'] === 'string' ? values['reports-dir'] : undefined,
  };
}

export function patternList(): string {
  return PATTERNS.map((p) => {
    const bounds = Object.entries(p.defaults)
      .map(([k, v]) => `${k}=${v.toLocaleString('en-US')}${(p.scaled as readonly string[]).includes(k) ? '' : ' (not scaled)'}`)
      .join(', ');
    return `${p.id}${p.cve ? ` — ${p.cve}` : ''} (${p.year}): ${p.title}
  does:     ${p.summary}
  expected: ${p.expected} [${p.rfc}]
  bounds:   ${bounds}`;
  }).join('\n\n');
}

/** The command: returns its exit code. */
export async function attackCommand(argv: string[]): Promise<number> {
  let cmd: ParsedCommand;
  let options;
  try {
    cmd = parseAttackArgs(argv);
    if (cmd.kind === 'help') {
      process.stdout.write(`${ATTACK_USAGE}\n`);
      return 0;
    }
    if (cmd.kind === 'list') {
      process.stdout.write(`${patternList()}\n`);
      return 0;
    }
    options = toRunOptions(cmd.plan, cmd.sets);
  } catch (err) {
    if (!(err instanceof AttackInputError)) throw err;
    process.stderr.write(usageErrorLine('attack', err.message));
    return 2;
  }

  const { runAttack } = await import('./run.ts');
  const { killAllSupervised } = await import('../run/supervise.ts');
  const { REPORTS_DIR } = await import('../run/runner.ts');
  const { summaryText } = await import('./table.ts');
  const { writeAttackReport } = await import('./report.ts');
  const interrupts = onInterrupt((why) => `\n${why}: stopping after the current pattern; results so far are kept\n`);
  try {
    const { results, resultsPath } = await runAttack({
      ...options,
      reportsDir: cmd.reportsDir ?? REPORTS_DIR,
      signal: interrupts.signal,
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`\n${summaryText(results)}\n\nresults: ${resultsPath}\n`);
    try {
      process.stdout.write(`report:  ${writeAttackReport(resultsPath)}\n`);
      const { writeIndex } = await import('../report/index.ts');
      process.stdout.write(`index:   ${writeIndex(cmd.reportsDir ?? REPORTS_DIR)}\n`);
    } catch (err) {
      process.stderr.write(`muxbench attack: the results are saved, but the report could not be written: ${(err as Error).message}\n`);
    }
    if (results.status === 'aborted') return interrupts.exitCode();
    const allHeld = results.targets.every((t) => t.outcomes.length > 0 && t.outcomes.every((o) => o.verdict === 'held'));
    return allHeld ? 0 : 1;
  } catch (err) {
    if (!(err instanceof AttackInputError)) throw err;
    process.stderr.write(`muxbench attack: ${err.message}\n`);
    return 2;
  } finally {
    killAllSupervised();
    interrupts.dispose();
  }
}
