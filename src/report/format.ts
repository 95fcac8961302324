/**
 * How numbers read in reports, verdicts and the compare table: three significant digits, units that
 * fit the size (µs → ms → s, B → KiB → MiB), ratios as "4.2×". Pure; shared by HTML and text output.
 */
import { isUnlimited } from '../h2/stream-limit.ts';

/** Three significant digits, thousands separated: 707499 → "707,000"; 0.0312 → "0.0312". */
export function sig3(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (n === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(n))));
  const rounded = Number(n.toPrecision(3));
  return rounded.toLocaleString('en-US', { maximumFractionDigits: Math.min(digits, 6) });
}

/** 707499 → "707k", 1543217 → "1.54M", 770.6 → "771". */
export function compact(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  if (a >= 1e9) return `${sig3(n / 1e9)}G`;
  if (a >= 1e6) return `${sig3(n / 1e6)}M`;
  if (a >= 1e4) return `${sig3(n / 1e3)}k`;
  return sig3(n);
}

export function rate(reqPerSec: number): string {
  return Number.isFinite(reqPerSec) ? `${compact(reqPerSec)} req/s` : '-';
}

/** Latency given in µs: 511 → "511 µs", 3405 → "3.41 ms", 1_200_000 → "1.2 s". */
export function micros(us: number): string {
  if (!Number.isFinite(us)) return '-';
  if (Math.abs(us) >= 1e6) return `${sig3(us / 1e6)} s`;
  if (Math.abs(us) >= 1e3) return `${sig3(us / 1e3)} ms`;
  return `${sig3(us)} µs`;
}

export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  if (a >= 1024 ** 3) return `${sig3(n / 1024 ** 3)} GiB`;
  if (a >= 1024 ** 2) return `${sig3(n / 1024 ** 2)} MiB`;
  if (a >= 1024) return `${sig3(n / 1024)} KiB`;
  return `${sig3(n)} B`;
}

/** A share (0.0312) as a percentage: "3.12 %". */
export function percent(share: number): string {
  if (!Number.isFinite(share)) return '-';
  return `${sig3(share * 100)} %`;
}

/** A relative change (-0.301) with its sign: "−30.1 %", "+2.0 %". */
export function signedPercent(change: number): string {
  if (!Number.isFinite(change)) return '-';
  const v = change * 100;
  const text = Math.abs(v) >= 100 ? Math.round(Math.abs(v)).toLocaleString('en-US') : Math.abs(v).toFixed(1);
  return `${v < 0 ? '−' : '+'}${text} %`;
}

/** A change of a share (0.031 → 0.052) in percentage points: "+2.1 pp". */
export function percentagePoints(change: number): string {
  if (!Number.isFinite(change)) return '-';
  return `${change >= 0 ? '+' : '−'}${Math.abs(change * 100).toFixed(1)} pp`;
}

/** A factor: 4.23 → "4.2×", 47.3 → "47×", 1510 → "1,510×". */
export function ratio(r: number): string {
  if (!Number.isFinite(r)) return '-';
  if (r >= 10) return `${Math.round(r).toLocaleString('en-US')}×`;
  return `${r.toFixed(1)}×`;
}

/** A p-value: 0.1 → "0.10", 0.00794 → "0.008", tiny → "<0.001". */
export function pValue(p: number): string {
  if (!Number.isFinite(p)) return '-';
  if (p < 0.001) return '<0.001';
  return p < 0.01 ? p.toFixed(3) : p.toFixed(2);
}

/** How a value of a swept axis reads on a chart tick or in a table cell. */
export function axisValue(axis: string, v: number): string {
  if (axis === 'streamLimit' && isUnlimited(v)) return 'unlimited';
  if (axis.endsWith('Bytes')) return bytes(v);
  if (axis.endsWith('Ms')) return `${sig3(v)} ms`;
  return v.toLocaleString('en-US');
}

/** How a value of a swept axis reads inside a sentence ("at 100 concurrent calls"). */
export function describeAxisValue(axis: string, v: number): string {
  switch (axis) {
    case 'concurrency':
      return `${v.toLocaleString('en-US')} concurrent ${v === 1 ? 'call' : 'calls'}`;
    case 'ratePerSec':
      return `${compact(v)} req/s offered`;
    case 'payloadBytes':
      return `${bytes(v)} payloads`;
    case 'delayMs':
      return `a ${sig3(v)} ms handler delay`;
    case 'streamLimit':
      return isUnlimited(v) ? 'no stream limit' : `a stream limit of ${v.toLocaleString('en-US')}`;
    case 'batchWindowMs':
      return `a ${sig3(v)} ms batch window`;
    case 'streamWindowBytes':
      return `${bytes(v)} stream windows`;
    case 'sessionWindowBytes':
      return `${bytes(v)} session windows`;
    case 'tunnelConnections':
      return `${v} tunnel ${v === 1 ? 'connection' : 'connections'}`;
    case 'clientConnections':
      return `${v} client ${v === 1 ? 'connection' : 'connections'}`;
    default:
      return `${axis} = ${axisValue(axis, v)}`;
  }
}

/** "from 10 to 1,000 concurrent calls", "from 64 B payloads to 4 MiB payloads". */
export function describeAxisRange(axis: string, a: number, b: number): string {
  if (axis === 'concurrency') return `from ${a.toLocaleString('en-US')} to ${describeAxisValue(axis, b)}`;
  return `from ${describeAxisValue(axis, a)} to ${describeAxisValue(axis, b)}`;
}

/** "streamLimit=10, concurrency=100" with axis-aware values; empty for no params. */
export function paramsText(params: Record<string, number>, axes?: readonly string[]): string {
  const keys = axes ? axes.filter((a) => params[a] !== undefined) : Object.keys(params);
  return keys.map((k) => `${k}=${axisValue(k, params[k]!)}`).join(', ');
}
