/**
 * One pattern's attack on one target: the connections it opens, the units it writes, and — once the
 * traffic ends — an observation window in which the connections stay open and their answers are read,
 * after which every connection is reset and the answers are summed into one Observation.
 */
import { sleep } from './budget.ts';
import { AttackPeer, type PeerOptions, type WriteOutcome, type WriteStop } from './peer.ts';
import type { AttackContext, Observation } from './patterns/types.ts';

/** The worse of two stop reasons: the one that says more about the target. */
const STOP_RANK: Record<WriteStop | 'held', number> = { done: 0, held: 0, 'byte-budget': 1, deadline: 2, goaway: 3, closed: 4 };
const MAX_GOAWAYS = 8;
/** Connections are opened this many at a time (a pattern with hundreds must not stall on connect storms). */
const OPEN_BATCH = 64;
const OBSERVE_POLL_MS = 10;
/** A connection gets this long to open (and hand over its SETTINGS), within what the deadline leaves. */
const MAX_CONNECT_MS = 3000;
const MIN_CONNECT_MS = 500;
/** Once the answer looks complete, frames still in flight get this long to arrive. */
const AFTER_ANSWER_MS = 50;

/** Every attacking connection not yet reset, so a pattern that fails half-way leaves none open behind it. */
const livePeers = new Set<AttackPeer>();

/** Resets whatever attacking connections are still open (run.ts calls this after every pattern). */
export function destroyAllPeers(): number {
  const n = livePeers.size;
  for (const p of livePeers) p.destroy();
  livePeers.clear();
  return n;
}

export class Engagement {
  private readonly peers: AttackPeer[] = [];
  private readonly withPreface = new Set<AttackPeer>();
  private connectFailures = 0;
  private readonly connectErrors = new Set<string>();
  private unitsSent = 0;
  private stoppedBy: WriteStop | 'held' = 'done';
  private trafficEndedAt: number | null = null;
  readonly notes: string[] = [];

  constructor(
    readonly ctx: AttackContext,
    readonly unit: string,
    public unitsPlanned: number,
  ) {}

  /** Opens one connection; null when it could not be opened (recorded). */
  async open(options: PeerOptions = {}): Promise<AttackPeer | null> {
    const peer = await AttackPeer.open(this.ctx.target, this.ctx.startedAt, {
      connectTimeoutMs: Math.min(MAX_CONNECT_MS, Math.max(MIN_CONNECT_MS, this.ctx.budget.remainingMs)),
      ...options,
    });
    if (peer.connectError !== null) {
      this.connectFailures++;
      this.connectErrors.add(peer.connectError);
      peer.destroy();
      return null;
    }
    this.peers.push(peer);
    livePeers.add(peer);
    if (options.preface !== false) this.withPreface.add(peer);
    return peer;
  }

  async openMany(n: number, options: PeerOptions = {}): Promise<AttackPeer[]> {
    const out: AttackPeer[] = [];
    for (let i = 0; i < n && !this.ctx.budget.expired; i += OPEN_BATCH) {
      const batch = await Promise.all(Array.from({ length: Math.min(OPEN_BATCH, n - i) }, () => this.open(options)));
      for (const p of batch) if (p !== null) out.push(p);
    }
    return out;
  }

  /** Counts a write loop's units and keeps the most telling stop reason. */
  sent(outcome: WriteOutcome): void {
    this.unitsSent += outcome.units;
    if (STOP_RANK[outcome.stoppedBy] > STOP_RANK[this.stoppedBy]) this.stoppedBy = outcome.stoppedBy;
  }

  /** For patterns that count units themselves (slowloris's bytes, a hold). */
  addUnits(n: number, stoppedBy?: WriteStop | 'held'): void {
    this.unitsSent += n;
    if (stoppedBy !== undefined && STOP_RANK[stoppedBy] >= STOP_RANK[this.stoppedBy]) this.stoppedBy = stoppedBy;
  }

  get openPeers(): AttackPeer[] {
    return this.peers.filter((p) => p.usable);
  }

  /** Holds the connections for `ms` (bounded by the deadline), reading answers. */
  async hold(ms: number): Promise<void> {
    await sleep(Math.min(ms, this.ctx.budget.remainingMs));
    if (STOP_RANK.held >= STOP_RANK[this.stoppedBy]) this.stoppedBy = 'held';
  }

  /**
   * Ends the traffic, reads answers for the observation window — or less, once the answer is complete:
   * every connection closed or told GOAWAY, or `complete()` (e.g. every PING acknowledged) — then resets
   * every connection and sums up.
   */
  async finish(complete: () => boolean = () => false): Promise<Observation> {
    this.trafficEndedAt ??= performance.now();
    for (const p of this.peers) p.resumeReading();
    const until = performance.now() + this.ctx.observeMs;
    const over = (): boolean => complete() || this.peers.every((p) => p.socket.destroyed || p.goawayCount > 0);
    while (performance.now() < until && !over()) await sleep(Math.min(OBSERVE_POLL_MS, until - performance.now()));
    // frames sent right after a GOAWAY (resets, the last responses) still count
    if (performance.now() < until) await sleep(Math.min(AFTER_ANSWER_MS, until - performance.now()));
    for (const p of this.peers) {
      p.destroy();
      livePeers.delete(p);
    }
    return this.observation();
  }

  private observation(): Observation {
    const o: Observation = {
      connections: this.peers.length,
      connectFailures: this.connectFailures,
      connectErrors: [...this.connectErrors],
      unit: this.unit,
      unitsPlanned: this.unitsPlanned,
      unitsSent: this.unitsSent,
      bytesSent: 0,
      trafficMs: Math.round((this.trafficEndedAt ?? performance.now()) - this.ctx.startedAt),
      stoppedBy: this.stoppedBy,
      goaways: [],
      goawayCodes: {},
      rstCodes: {},
      statuses: {},
      pingAcks: 0,
      settingsAcks: 0,
      dataBytes: 0,
      dataFrames: 0,
      closedByTarget: 0,
      firstCloseAtMs: null,
      targetProtocolErrors: [],
      notes: this.notes,
    };
    for (const p of this.peers) {
      o.bytesSent += p.bytesWritten;
      for (const g of p.goaways) {
        if (o.goaways.length < MAX_GOAWAYS) o.goaways.push(g);
        o.goawayCodes[g.code] = (o.goawayCodes[g.code] ?? 0) + 1;
      }
      add(o.rstCodes, p.rstCodes);
      add(o.statuses, p.statuses);
      o.pingAcks += p.pingAcks;
      // the ACK of each connection's own SETTINGS is the handshake, not an answer to the pattern
      o.settingsAcks += Math.max(0, p.settingsAcks - (this.withPreface.has(p) ? 1 : 0));
      o.dataBytes += p.dataBytes;
      o.dataFrames += p.dataFrames;
      if (p.closedByTarget) {
        o.closedByTarget++;
        if (p.closedAtMs !== null && (o.firstCloseAtMs === null || p.closedAtMs < o.firstCloseAtMs)) o.firstCloseAtMs = p.closedAtMs;
      }
      if (p.targetProtocolError !== null && o.targetProtocolErrors.length < 4) o.targetProtocolErrors.push(p.targetProtocolError);
    }
    o.goaways.sort((a, b) => a.atMs - b.atMs);
    return o;
  }
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}
