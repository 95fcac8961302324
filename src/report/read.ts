/** Reading a results file: JSON, the right schema, the fields the renderer relies on — or a clear error. */
import { readFileSync } from 'node:fs';
import { READABLE_SCHEMAS, RESULTS_SCHEMA, type ResultsFile } from '../measure/results.ts';
import { ReportInputError } from './errors.ts';

/** Checks parsed JSON; `name` (usually the path) goes into every message. */
export function checkResults(data: unknown, name: string): ResultsFile {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ReportInputError('MUX_ERR_RESULTS_SCHEMA', `${name}: not a muxbench results file (expected a JSON object with schema '${RESULTS_SCHEMA}')`);
  }
  const schema = (data as { schema?: unknown }).schema;
  if (typeof schema !== 'string' || !READABLE_SCHEMAS.includes(schema)) {
    const found = schema === undefined ? 'no schema field' : `schema ${JSON.stringify(schema)}`;
    throw new ReportInputError(
      'MUX_ERR_RESULTS_SCHEMA',
      `${name}: unsupported results file: ${found}, expected one of ${READABLE_SCHEMAS.map((s) => `'${s}'`).join(', ')}`,
    );
  }
  const r = data as Partial<ResultsFile>;
  const missing = (['runId', 'scenario', 'environment', 'status', 'startedAt', 'axes', 'settings', 'points'] as const).filter((k) => r[k] === undefined);
  if (missing.length) throw new ReportInputError('MUX_ERR_RESULTS_SCHEMA', `${name}: results file lacks ${missing.join(', ')}`);
  if (!Array.isArray(r.points) || !Array.isArray(r.axes)) throw new ReportInputError('MUX_ERR_RESULTS_SCHEMA', `${name}: 'points' and 'axes' must be arrays`);
  return data as ResultsFile;
}

export function parseResults(text: string, name: string): ResultsFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ReportInputError('MUX_ERR_RESULTS_READ', `${name}: not valid JSON (${(err as Error).message})`);
  }
  return checkResults(data, name);
}

export function readResults(path: string): ResultsFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ReportInputError('MUX_ERR_RESULTS_READ', `${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${(err as Error).message})`}`);
  }
  return parseResults(text, path);
}
