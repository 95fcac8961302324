/**
 * Reading an Observation: the one-line account of what the target answered, and the small predicates
 * the patterns' `judge` functions are written with. Grading rules live in the patterns; this only
 * describes and asks.
 */
import type { AttackPeer } from '../peer.ts';
import type { Answer, AnswerGrade, Observation } from './types.ts';

const n = (x: number): string => x.toLocaleString('en-US');

/** e.g. "GOAWAY ENHANCE_YOUR_CALM (last stream 2001) at 31 ms · RST_STREAM PROTOCOL_ERROR ×100 · closed by the target at 32 ms". */
export function describeAnswer(o: Observation): string {
  const parts: string[] = [];
  const first = o.goaways[0];
  if (first) {
    const more = Object.entries(o.goawayCodes).reduce((s, [, v]) => s + v, 0) - 1;
    const other = Object.keys(o.goawayCodes).filter((c) => c !== first.code);
    parts.push(
      `GOAWAY ${first.code} (last stream ${n(first.lastStreamId)}) at ${n(first.atMs)} ms${first.debug ? ` "${first.debug}"` : ''}` +
        (more > 0 ? ` +${more} more${other.length ? ` (${other.join(', ')})` : ''}` : ''),
    );
  }
  for (const [code, count] of sorted(o.rstCodes)) parts.push(`RST_STREAM ${code} ×${n(count)}`);
  for (const [status, count] of sorted(o.statuses)) parts.push(`HTTP ${status} ×${n(count)}`);
  if (o.pingAcks > 0) parts.push(`PING ACK ×${n(o.pingAcks)}`);
  if (o.settingsAcks > 0) parts.push(`SETTINGS ACK ×${n(o.settingsAcks)}`);
  if (o.dataBytes > 0) parts.push(`${n(o.dataBytes)} B of DATA in ${n(o.dataFrames)} frames`);
  if (o.closedByTarget > 0) {
    parts.push(
      o.connections === 1
        ? `closed by the target at ${n(o.firstCloseAtMs ?? 0)} ms`
        : `${n(o.closedByTarget)} of ${n(o.connections)} connections closed by the target (first at ${n(o.firstCloseAtMs ?? 0)} ms)`,
    );
  }
  for (const e of o.targetProtocolErrors) parts.push(`target broke the protocol: ${e}`);
  if (o.connectFailures > 0) parts.push(`${n(o.connectFailures)} connection${o.connectFailures === 1 ? '' : 's'} failed (${o.connectErrors.join(', ')})`);
  if (parts.length === 0) parts.push('no answer');
  const progress =
    o.unitsSent < o.unitsPlanned ? ` — after ${n(o.unitsSent)} of ${n(o.unitsPlanned)} ${o.unit} (${stopText(o)})` : ` — to ${n(o.unitsSent)} ${o.unit}`;
  return parts.join(' · ') + progress;
}

function stopText(o: Observation): string {
  switch (o.stoppedBy) {
    case 'goaway':
      return 'stopped at the GOAWAY';
    case 'closed':
      return 'the connection closed';
    case 'deadline':
      return 'the time limit struck: the target stopped reading';
    case 'byte-budget':
      return 'the byte limit struck';
    default:
      return o.stoppedBy;
  }
}

function sorted(r: Record<string, number>): [string, number][] {
  return Object.entries(r).sort((a, b) => b[1] - a[1]);
}

/** Streams a connection has had a final word on: a reset, or a response head (informational ones aside). */
export function answeredStreams(p: AttackPeer): number {
  let n = 0;
  for (const v of Object.values(p.rstCodes)) n += v;
  for (const [s, v] of Object.entries(p.statuses)) if (Number(s) >= 200) n += v;
  return n;
}

export function answer(grade: AnswerGrade, o: Observation, note: string): Answer {
  return { grade, observed: describeAnswer(o), note };
}

/** A GOAWAY with one of `codes` (any code when omitted). */
export function goaway(o: Observation, codes?: readonly string[]): boolean {
  return Object.keys(o.goawayCodes).some((c) => codes === undefined || codes.includes(c));
}

export function rst(o: Observation, codes?: readonly string[]): boolean {
  return Object.keys(o.rstCodes).some((c) => codes === undefined || codes.includes(c));
}

/** A response whose status satisfies `test`. */
export function status(o: Observation, test: (s: number) => boolean): boolean {
  return Object.keys(o.statuses).some((s) => test(Number(s)));
}

export function closed(o: Observation): boolean {
  return o.closedByTarget > 0;
}

/** The target refused at the connection level in some way: a GOAWAY of any code, or a close. */
export function refusedConnection(o: Observation): boolean {
  return goaway(o) || closed(o);
}

/** The connection could not be used at all: nothing was attacked. */
export function notDelivered(o: Observation): Answer | null {
  if (o.connections === 0) return answer('unexpected', o, 'no attacking connection could be opened: the target was not accepting HTTP/2 connections');
  return null;
}

/**
 * The grading most flood patterns share: the named answer (GOAWAY ENHANCE_YOUR_CALM, §10.5) is
 * expected; another GOAWAY code or a bare close is tolerated (§5.4.1 only says SHOULD send GOAWAY first);
 * null when the target did neither, for the pattern to decide.
 */
export function floodRefusal(o: Observation, expectedGoaway: readonly string[] = ['ENHANCE_YOUR_CALM']): Answer | null {
  if (goaway(o, expectedGoaway)) return answer('expected', o, `refused with GOAWAY ${expectedGoaway.join(' / ')}, as §10.5 names`);
  if (goaway(o)) return answer('tolerated', o, `refused at the connection level, but with another code than ${expectedGoaway.join(' / ')}`);
  if (closed(o)) return answer('tolerated', o, 'closed the connection without GOAWAY (§5.4.1: an endpoint SHOULD send GOAWAY first)');
  return null;
}

/**
 * A header block that never ends (the CONTINUATION floods): the target must stop it — GOAWAY
 * ENHANCE_YOUR_CALM, or a 431 / RST_STREAM for the stream (§10.5.1) — before its limits are passed.
 */
export function judgeUnendingBlock(o: Observation): Answer {
  const none = notDelivered(o);
  if (none !== null) return none;
  if (goaway(o, ['ENHANCE_YOUR_CALM']) || status(o, (s) => s === 431) || rst(o, ['ENHANCE_YOUR_CALM'])) {
    return answer('expected', o, 'stopped the unending header block (§10.5, §10.5.1)');
  }
  if (goaway(o) || closed(o) || rst(o) || status(o, (s) => s >= 400))
    return answer('tolerated', o, 'stopped the header block, but not with ENHANCE_YOUR_CALM or 431');
  if (status(o, (s) => s < 400)) return answer('unexpected', o, 'answered a request whose header block never ended');
  return answer('unexpected', o, `accepted ${o.unitsSent.toLocaleString('en-US')} ${o.unit} of one header block without stopping it`);
}
