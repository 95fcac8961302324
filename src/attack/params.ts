/**
 * A pattern's parameters as run: its defaults, counts multiplied by --scale, then the user's own values
 * (--set pattern.param=value or a plan's `set`). Every value is checked here, before anything starts.
 */
import { AttackInputError } from './errors.ts';
import { patternById, type Pattern } from './patterns/index.ts';

/** No count or duration a pattern takes is meaningful beyond this; the byte and time budgets bound the rest. */
export const MAX_PARAM_VALUE = 100_000_000;

export type ParamOverrides = Record<string, Record<string, number>>;

export function resolveParams(p: Pattern, scale: number, overrides: ParamOverrides): Record<string, number> {
  const out: Record<string, number> = { ...p.defaults };
  for (const k of p.scaled) out[k] = Math.max(1, Math.round(out[k]! * scale));
  for (const [k, v] of Object.entries(overrides[p.id] ?? {})) out[k] = v;
  return out;
}

/** `rapid-reset.streams=1000` → overrides['rapid-reset'].streams = 1000, checked against the pattern. */
export function addSetting(overrides: ParamOverrides, text: string): void {
  const m = /^([a-z0-9-]+)\.([A-Za-z]+)=(.*)$/.exec(text);
  if (m === null) throw new AttackInputError('MUX_ERR_ATTACK_USAGE', `--set '${text}': expected PATTERN.PARAM=VALUE, e.g. rapid-reset.streams=1000`);
  const [, id, param, raw] = m as unknown as [string, string, string, string];
  setParam(overrides, id, param, raw, `--set '${text}'`);
}

export function setParam(overrides: ParamOverrides, id: string, param: string, raw: string | number, where: string): void {
  const p = patternById(id);
  if (p === undefined) throw new AttackInputError('MUX_ERR_ATTACK_USAGE', `${where}: unknown pattern '${id}' (muxbench attack --list shows them)`);
  if (!Object.hasOwn(p.defaults, param)) {
    throw new AttackInputError('MUX_ERR_ATTACK_USAGE', `${where}: pattern '${id}' has no parameter '${param}'; it has ${Object.keys(p.defaults).join(', ')}`);
  }
  const value = typeof raw === 'number' ? raw : raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > MAX_PARAM_VALUE) {
    throw new AttackInputError(
      'MUX_ERR_ATTACK_USAGE',
      `${where}: ${id}.${param} must be an integer from 0 to ${MAX_PARAM_VALUE.toLocaleString('en-US')}, got '${raw}'`,
    );
  }
  (overrides[id] ??= {})[param] = value;
}
