/**
 * A decoded header block as the session hands it on (RFC 9113 §8.2, §8.3): the fields collected into one
 * object — repeated names as arrays, cookie crumbs joined (§8.2.3) — and the first way the block is
 * malformed, if any. Malformed requests and responses are stream errors of type PROTOCOL_ERROR (§8.1.1),
 * never forwarded. One collector per session, reused for every block, serves both roles.
 */
import { FieldSource } from './hpack.ts';

/** A decoded header block: lower-case names, pseudo-headers included, repeated names as arrays. */
export type HeaderFields = Record<string, string | string[]>;

export const enum BlockKind {
  Request,
  Response,
  Trailers,
}

/**
 * §8.2.2: fields that make a message malformed in HTTP/2 (`te` is allowed with the value "trailers").
 * Of these only transfer-encoding has a static-table name.
 */
function isConnectionSpecific(name: string): boolean {
  switch (name.length) {
    case 7:
      return name === 'upgrade';
    case 10:
      return name === 'connection' || name === 'keep-alive';
    case 16:
      return name === 'proxy-connection';
    case 17:
      return name === 'transfer-encoding';
    default:
      return false;
  }
}
const REQUEST_PSEUDO = new Set([':method', ':scheme', ':path', ':authority', ':protocol']);

/**
 * RFC 9110 §5.1 token characters, lower case only (§8.2.1: upper-case names are malformed): 1 = allowed.
 * Indexed by char code below 128; everything at or above 128 is refused.
 */
const NAME_CHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") NAME_CHAR[c.charCodeAt(0)] = 1;

function nameProblem(name: string, from: number): boolean {
  if (name.length <= from) return true;
  for (let i = from; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || NAME_CHAR[c] === 0) return true;
  }
  return false;
}

/** §8.2.1: no NUL, CR or LF; no leading or trailing space or tab. */
function valueProblem(value: string): boolean {
  const n = value.length;
  if (n === 0) return false;
  let c = value.charCodeAt(0);
  if (c === 0x20 || c === 0x09) return true;
  c = value.charCodeAt(n - 1);
  if (c === 0x20 || c === 0x09) return true;
  for (let i = 0; i < n; i++) {
    c = value.charCodeAt(i);
    if (c <= 0x0d && (c === 0x00 || c === 0x0a || c === 0x0d)) return true;
  }
  return false;
}

export class FieldCollector {
  fields: HeaderFields = {};
  /** the first malformation seen, or null */
  problem: string | null = null;
  private kind = BlockKind.Request;
  private regularSeen = false;
  /** the HPACK decoder's sink, bound once */
  readonly sink = (name: string, value: string, source: FieldSource): void => this.add(name, value, source);

  begin(kind: BlockKind): void {
    this.fields = {};
    this.problem = null;
    this.kind = kind;
    this.regularSeen = false;
  }

  private add(name: string, value: string, source: FieldSource): void {
    const fields = this.fields;
    if (this.problem === null) this.check(name, value, source);
    const prev = fields[name];
    if (prev === undefined) fields[name] = value;
    else if (name === 'cookie') fields[name] = `${String(prev)}; ${value}`;
    else if (Array.isArray(prev)) prev.push(value);
    else fields[name] = [prev, value];
  }

  /** Static-table names and values are well-formed: only what the peer spelled out is scanned. */
  private check(name: string, value: string, source: FieldSource): void {
    if (source !== FieldSource.StaticPair && valueProblem(value))
      return this.fail(`field ${JSON.stringify(name)} has a value with NUL, CR, LF or surrounding white space`);
    if (name.charCodeAt(0) === 58 /* ':' */) {
      if (this.regularSeen) return this.fail(`pseudo-header ${name} after a regular field`);
      if (this.fields[name] !== undefined) return this.fail(`pseudo-header ${name} twice`);
      const known = this.kind === BlockKind.Request ? REQUEST_PSEUDO.has(name) : this.kind === BlockKind.Response ? name === ':status' : false;
      if (!known)
        return this.fail(
          `pseudo-header ${name} is not allowed in ${this.kind === BlockKind.Trailers ? 'trailers' : this.kind === BlockKind.Request ? 'a request' : 'a response'}`,
        );
      return;
    }
    this.regularSeen = true;
    if (source === FieldSource.Peer && nameProblem(name, 0))
      return this.fail(`malformed field name ${JSON.stringify(name)} (empty, upper case or not a token)`);
    if (isConnectionSpecific(name)) return this.fail(`connection-specific field ${name}`);
    if (name === 'te' && value !== 'trailers') return this.fail('te other than "trailers"');
  }

  private fail(problem: string): void {
    this.problem = problem;
  }
}

/**
 * §8.3.1 (and RFC 8441 §4): the pseudo-headers a request must and must not have. Returns the problem, or
 * null for a well-formed request head.
 */
export function requestProblem(fields: HeaderFields, extendedConnect: boolean): string | null {
  const method = fields[':method'];
  if (typeof method !== 'string' || method === '') return 'request without :method';
  const protocol = fields[':protocol'];
  if (method === 'CONNECT') {
    if (protocol === undefined) {
      if (typeof fields[':authority'] !== 'string') return 'CONNECT without :authority';
      if (fields[':scheme'] !== undefined || fields[':path'] !== undefined) return 'CONNECT with :scheme or :path';
      return null;
    }
    if (!extendedConnect) return ':protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL';
  } else if (protocol !== undefined) {
    return ':protocol on a request that is not CONNECT';
  }
  if (typeof fields[':scheme'] !== 'string' || fields[':scheme'] === '') return 'request without :scheme';
  const path = fields[':path'];
  if (typeof path !== 'string' || path === '') return 'request without :path, or an empty one';
  return null;
}

/** §8.3.2: a response has exactly one :status of three digits. Returns the status, or -1. */
export function responseStatus(fields: HeaderFields): number {
  const s = fields[':status'];
  if (typeof s !== 'string' || s.length !== 3) return -1;
  const n = Number(s);
  return Number.isInteger(n) && n >= 100 ? n : -1;
}

/** §8.1.1: the content-length a message announces, -1 when none; NaN when it is not a single number. */
export function contentLengthOf(fields: HeaderFields): number {
  const v = fields['content-length'];
  if (v === undefined) return -1;
  if (typeof v !== 'string' || !/^\d{1,15}$/.test(v)) return Number.NaN;
  return Number(v);
}
