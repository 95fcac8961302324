/**
 * Zero-window hold: connections that advertise INITIAL_WINDOW_SIZE 0, ask for large responses and never
 * open the window — every stream stays open, holding whatever the target reserved for it.
 */
import { Setting } from '../../h2/frames.ts';
import { Engagement } from '../engagement.ts';
import { headersFrame, requestBlock } from '../frames.ts';
import { answer, notDelivered } from './answers.ts';
import { definePattern } from './types.ts';

export default definePattern({
  id: 'zero-window-hold',
  title: 'Zero-window hold',
  cve: null,
  year: 2016,
  summary: 'requests for large responses on connections whose stream windows are 0 and are never opened, held open',
  expected: 'response HEADERS but no DATA into a zero window (§6.9.1); holding streams is legal, so the target must bound what a stalled reader holds',
  rfc: 'RFC 9113 §6.9.1, §6.9.2, §10.5',
  defaults: { connections: 2, streams: 100, holdMs: 3000 },
  scaled: ['connections'],
  async run(ctx, p) {
    const e = new Engagement(ctx, 'held streams', p.connections * p.streams);
    const peers = await e.openMany(p.connections, {
      handshake: true,
      settings: [
        [Setting.ENABLE_PUSH, 0],
        [Setting.INITIAL_WINDOW_SIZE, 0],
      ],
    });
    const block = requestBlock({ method: 'GET', authority: ctx.target.authority, path: ctx.paths.large });
    for (const peer of peers) {
      const streams = Math.min(p.streams, peer.settings.maxConcurrentStreams ?? p.streams);
      e.sent(await peer.writeUnits(streams, (i) => headersFrame(2 * i + 1, block, { endStream: true, endHeaders: true }), ctx.budget));
    }
    await e.hold(p.holdMs);
    return e.finish();
  },
  judge(o) {
    const none = notDelivered(o);
    if (none !== null) return none;
    if (o.dataBytes > 0) return answer('unexpected', o, 'sent DATA into a zero window (§6.9.1)');
    return answer('expected', o, 'kept to the zero window; whether the held streams cost the others shows in goodput and recovery');
  },
});
