/**
 * What every attack pattern is: the same shape in every file of this folder — who it is (id, CVE, what
 * it does, the answer RFC 9113 expects), its bounds with defaults, `run` (the attack against one target,
 * returning what the target answered) and `judge` (that answer against the RFC).
 */
import type { Budget } from '../budget.ts';
import type { GoawaySeen, PeerTarget, WriteStop } from '../peer.ts';

/** Paths on the target: a small response, a large one (buffering patterns), one that reads a request body. */
export interface TargetPaths {
  small: string;
  large: string;
  upload: string;
}

export interface AttackContext {
  target: PeerTarget;
  paths: TargetPaths;
  /** the pattern's deadline and byte allowance for attack traffic */
  budget: Budget;
  /** how long answers are still read, with the connections held open, after the attack traffic ends */
  observeMs: number;
  /** performance.now() when the attack phase began */
  startedAt: number;
}

/** Everything the attacking connections saw, summed over them. */
export interface Observation {
  connections: number;
  connectFailures: number;
  /** distinct reasons connections failed (ECONNREFUSED, no SETTINGS, …) */
  connectErrors: string[];
  /** what the pattern counts (e.g. "PING frames"), how many it planned and how many it wrote */
  unit: string;
  unitsPlanned: number;
  unitsSent: number;
  bytesSent: number;
  /** ms from the attack's start until its traffic ended (the observation window follows) */
  trafficMs: number;
  /** why the traffic ended; 'held' for patterns that hold connections for a time */
  stoppedBy: WriteStop | 'held';
  /** the first GOAWAYs (a few per connection) */
  goaways: GoawaySeen[];
  goawayCodes: Record<string, number>;
  rstCodes: Record<string, number>;
  /** response :status values */
  statuses: Record<string, number>;
  pingAcks: number;
  /** SETTINGS ACKs beyond the one each connection's own SETTINGS gets */
  settingsAcks: number;
  dataBytes: number;
  dataFrames: number;
  /** connections the target closed (FIN or reset) */
  closedByTarget: number;
  firstCloseAtMs: number | null;
  /** where the target broke HTTP/2 or HPACK in what it sent */
  targetProtocolErrors: string[];
  /** facts a pattern adds (e.g. how large its HPACK bomb decodes) */
  notes: string[];
}

/** expected: the answer the RFC names · tolerated: permitted but not the named answer · unexpected: not permitted, or no answer where one is owed. */
export type AnswerGrade = 'expected' | 'tolerated' | 'unexpected';

export interface Answer {
  grade: AnswerGrade;
  /** what the target did, in a line */
  observed: string;
  /** why that grade */
  note: string;
}

export interface PatternInfo {
  id: string;
  title: string;
  /** e.g. CVE-2019-9512; null for patterns without one */
  cve: string | null;
  year: number;
  /** what the attack does, one sentence */
  summary: string;
  /** the answer RFC 9113 (or the mitigation it allows) expects, one line */
  expected: string;
  /** the sections that say so */
  rfc: string;
}

export type Params<K extends string> = Readonly<Record<K, number>>;

export interface PatternDef<K extends string> extends PatternInfo {
  defaults: Params<K>;
  /** the counts --scale multiplies (durations and sizes that must stay exact are left out) */
  scaled: readonly NoInfer<K>[];
  run(ctx: AttackContext, params: Params<K>): Promise<Observation>;
  judge(observation: Observation, params: Params<K>): Answer;
}

export type Pattern = PatternDef<string>;

/** Types a pattern's file against its own parameter names, and files it with the rest. */
export function definePattern<K extends string>(p: PatternDef<K>): Pattern {
  return p as unknown as Pattern;
}
