/**
 * The origins a connector may forward to, given by its operator — never by a request. `--origin` takes
 * the origin process's ready line (or its `urls` object) as JSON, a list `http=URL,grpc=URL,ws=URL,tcp=URL`,
 * or one URL whose scheme says what it is.
 */
import { UsageError } from '../serve.ts';

export interface Origins {
  http?: URL;
  grpc?: URL;
  ws?: URL;
  tcp?: URL;
}
export type OriginName = keyof Origins;
const NAMES: readonly OriginName[] = ['http', 'grpc', 'ws', 'tcp'];

function toUrl(name: string, raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw new UsageError(`--origin: ${name} is not a URL: '${raw}'`);
  }
}

export function parseOrigins(spec: string): Origins {
  const text = spec.trim();
  const out: Origins = {};
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`--origin: not valid JSON: ${(err as Error).message}`);
    }
    const obj = parsed as { urls?: Record<string, unknown> } & Record<string, unknown>;
    const urls = (obj.urls ?? obj) as Record<string, unknown>;
    for (const name of NAMES) if (typeof urls[name] === 'string') out[name] = toUrl(name, urls[name]);
  } else if (text.includes('=')) {
    for (const part of text.split(',')) {
      const [name, ...rest] = part.split('=');
      const key = name?.trim() as OriginName;
      if (!NAMES.includes(key)) throw new UsageError(`--origin: unknown origin '${name}' (expected ${NAMES.join(', ')})`);
      out[key] = toUrl(key, rest.join('=').trim());
    }
  } else {
    const url = toUrl('origin', text);
    const scheme = url.protocol.replace(':', '');
    if (scheme === 'http') out.http = url;
    else if (scheme === 'ws') out.ws = url;
    else if (scheme === 'tcp') out.tcp = url;
    else throw new UsageError(`--origin: cannot tell what '${text}' is; write http=…, grpc=…, ws=… or tcp=…`);
  }
  if (NAMES.every((n) => out[n] === undefined)) throw new UsageError(`--origin names no origin: '${spec}'`);
  return out;
}
