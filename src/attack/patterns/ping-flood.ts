/** CVE-2019-9512: PINGs as fast as the socket takes them, replies never read, so the ACKs queue up in the target. */
import { Engagement } from '../engagement.ts';
import { pingFrame } from '../frames.ts';
import { answer, floodRefusal, notDelivered } from './answers.ts';
import { definePattern } from './types.ts';

export default definePattern({
  id: 'ping-flood',
  title: 'PING flood',
  cve: 'CVE-2019-9512',
  year: 2019,
  summary: 'PING frames without reading the ACKs: each one obliges the target to queue a reply for a peer that does not read',
  expected: 'an ACK for every PING with the reply queue bounded (§6.7), or GOAWAY ENHANCE_YOUR_CALM (§10.5)',
  rfc: 'RFC 9113 §6.7, §10.5',
  defaults: { frames: 100_000 },
  scaled: ['frames'],
  async run(ctx, p) {
    const e = new Engagement(ctx, 'PING frames', p.frames);
    const peer = await e.open({ handshake: true });
    if (peer === null) return e.finish();
    peer.pauseReading();
    const sent = await peer.writeUnits(p.frames, pingFrame, ctx.budget);
    e.sent(sent);
    return e.finish(() => peer.pingAcks >= sent.units);
  },
  judge(o) {
    const refused = notDelivered(o) ?? floodRefusal(o);
    if (refused !== null) return refused;
    if (o.pingAcks >= o.unitsSent) return answer('expected', o, 'acknowledged every PING, as §6.7 requires');
    return answer(
      'unexpected',
      o,
      `acknowledged ${o.pingAcks.toLocaleString('en-US')} of ${o.unitsSent.toLocaleString('en-US')} PINGs and neither refused nor closed: §6.7 requires an ACK for each`,
    );
  },
});
