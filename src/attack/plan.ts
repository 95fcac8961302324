/**
 * The settings of an attack run, whether they come from the command line or from a plan file (the
 * scenario form: scenarios/<name>.json, or any path). Both use the same names — a plan's `baselineMs`
 * is the command line's --baseline-ms — so a plan is the command line written down. `toRunOptions` turns
 * them, with the defaults, into what runAttack takes; every value is checked on the way.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AttackInputError } from './errors.ts';
import { addSetting, type ParamOverrides, setParam } from './params.ts';
import { PATTERNS, patternById } from './patterns/index.ts';
import { DEFAULT_SETTINGS, type RunSettings } from './run.ts';
import { isReferenceName, type TargetSpec } from './targets.ts';

export const SCENARIO_DIR = fileURLToPath(new URL('../../scenarios', import.meta.url));

const count = z.number().int().positive();
const ms = z.number().int().nonnegative().max(600_000);

export const planSchema = z
  .object({
    description: z.string().optional(),
    targets: z.array(z.string().min(1)).min(1, 'name at least one target'),
    patterns: z.array(z.string()).min(1).optional(),
    scale: z.number().positive().max(1000).optional(),
    /** pattern → parameter → value */
    set: z.record(z.string(), z.record(z.string(), z.number())).optional(),
    warmupMs: ms.optional(),
    baselineMs: ms.min(100).optional(),
    attackMs: ms.min(100).optional(),
    observeMs: ms.optional(),
    recoveryMs: ms.min(100).optional(),
    maxAttackBytes: count.max(4 * 1024 ** 3).optional(),
    concurrency: count.max(10_000).optional(),
    loadConnections: count.max(1000).optional(),
    requestTimeoutMs: ms.min(100).optional(),
    maxRssGrowthMb: count.optional(),
    maxRecoveryMs: ms.optional(),
    stallMs: ms.min(100).optional(),
    restartEach: z.boolean().optional(),
    allowRemote: z.boolean().optional(),
    /** for URL targets */
    pid: count.optional(),
    largePath: z.string().startsWith('/').optional(),
    uploadPath: z.string().startsWith('/').optional(),
    expectStatus: z.number().int().min(100).max(599).optional(),
  })
  .strict();

export type AttackPlan = z.infer<typeof planSchema>;

/** A plan by name (scenarios/<name>.json) or path. */
export function loadPlan(nameOrPath: string): { plan: AttackPlan; file: string } {
  const file =
    nameOrPath.includes('/') || nameOrPath.endsWith('.json')
      ? isAbsolute(nameOrPath)
        ? nameOrPath
        : resolve(nameOrPath)
      : join(SCENARIO_DIR, `${nameOrPath}.json`);
  if (!existsSync(file)) throw new AttackInputError('MUX_ERR_ATTACK_PLAN', `no attack plan '${nameOrPath}' (looked for ${file})`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AttackInputError('MUX_ERR_ATTACK_PLAN', `${file}: not valid JSON (${(err as Error).message})`);
  }
  return { plan: parsePlan(data, file), file };
}

export function parsePlan(data: unknown, source: string): AttackPlan {
  const parsed = planSchema.safeParse(data);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new AttackInputError('MUX_ERR_ATTACK_PLAN', `${source} is not a valid attack plan:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export interface RunOptions {
  targets: TargetSpec[];
  patterns: string[];
  overrides: ParamOverrides;
  settings: RunSettings;
}

/** The plan (from a file, the command line, or both merged) as runAttack's options. */
export function toRunOptions(plan: AttackPlan, extraSettings: readonly string[] = []): RunOptions {
  const patterns = plan.patterns ?? PATTERNS.map((p) => p.id);
  for (const id of patterns) {
    if (patternById(id) === undefined)
      throw new AttackInputError('MUX_ERR_ATTACK_USAGE', `unknown pattern '${id}'; patterns: ${PATTERNS.map((p) => p.id).join(', ')}`);
  }
  const overrides: ParamOverrides = {};
  for (const [id, values] of Object.entries(plan.set ?? {}))
    for (const [param, v] of Object.entries(values)) setParam(overrides, id, param, v, `set.${id}.${param}`);
  for (const text of extraSettings) addSetting(overrides, text);

  const urlTargets = plan.targets.filter((t) => !isReferenceName(t));
  if (plan.pid !== undefined && urlTargets.length !== 1) {
    throw new AttackInputError(
      'MUX_ERR_ATTACK_USAGE',
      `--pid belongs to one URL target; ${urlTargets.length === 0 ? 'there is none (reference systems are watched anyway)' : `there are ${urlTargets.length}`}`,
    );
  }
  const seen = new Set<string>();
  const targets = plan.targets.map((t): TargetSpec => {
    if (seen.has(t)) throw new AttackInputError('MUX_ERR_ATTACK_USAGE', `target '${t}' is named twice`);
    seen.add(t);
    if (isReferenceName(t)) return { kind: 'reference', name: t };
    return {
      kind: 'url',
      url: t,
      pid: plan.pid ?? null,
      largePath: plan.largePath ?? null,
      uploadPath: plan.uploadPath ?? null,
      expectStatus: plan.expectStatus ?? 200,
    };
  });

  const d = DEFAULT_SETTINGS;
  const settings: RunSettings = {
    warmupMs: plan.warmupMs ?? d.warmupMs,
    baselineMs: plan.baselineMs ?? d.baselineMs,
    attackMs: plan.attackMs ?? d.attackMs,
    observeMs: plan.observeMs ?? d.observeMs,
    recoveryMs: plan.recoveryMs ?? d.recoveryMs,
    maxAttackBytes: plan.maxAttackBytes ?? d.maxAttackBytes,
    scale: plan.scale ?? d.scale,
    restartEach: plan.restartEach ?? d.restartEach,
    allowRemote: plan.allowRemote ?? d.allowRemote,
    load: {
      concurrency: plan.concurrency ?? d.load.concurrency,
      connections: plan.loadConnections ?? d.load.connections,
      requestTimeoutMs: plan.requestTimeoutMs ?? d.load.requestTimeoutMs,
    },
    limits: {
      maxRssGrowthBytes: plan.maxRssGrowthMb !== undefined ? plan.maxRssGrowthMb * 1024 * 1024 : d.limits.maxRssGrowthBytes,
      maxRecoveryMs: plan.maxRecoveryMs ?? d.limits.maxRecoveryMs,
      stallMs: plan.stallMs ?? d.limits.stallMs,
    },
  };
  if (settings.load.connections > settings.load.concurrency) {
    throw new AttackInputError(
      'MUX_ERR_ATTACK_USAGE',
      `--load-connections (${settings.load.connections}) cannot exceed --concurrency (${settings.load.concurrency})`,
    );
  }
  return { targets, patterns, overrides, settings };
}
