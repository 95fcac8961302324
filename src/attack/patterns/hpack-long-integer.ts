/**
 * One HEADERS frame whose HPACK integer runs on for ~150 continuation octets: no valid index is that
 * large, and a decoder that computes with it instead of refusing it ends up with garbage (or NaN).
 * Not one of the published floods — the cheapest way to find a decoder that crashes on input.
 */
import { Engagement } from '../engagement.ts';
import { headersFrame, overlongNameIndexField, requestBlock } from '../frames.ts';
import { answer, closed, goaway, notDelivered } from './answers.ts';
import { definePattern } from './types.ts';

export default definePattern({
  id: 'hpack-long-integer',
  title: 'Overlong HPACK integer',
  cve: null,
  year: 2025,
  summary: 'one request whose header block ends in a literal whose name index is an integer of ~150 continuation octets',
  expected: 'GOAWAY COMPRESSION_ERROR: a decoding error is a connection error (RFC 9113 §4.3; RFC 7541 §5.1)',
  rfc: 'RFC 9113 §4.3; RFC 7541 §5.1',
  defaults: { continuationOctets: 150 },
  scaled: [],
  async run(ctx, p) {
    const e = new Engagement(ctx, 'HEADERS frames', 1);
    const peer = await e.open({ handshake: true });
    if (peer !== null) {
      const block = Buffer.concat([
        requestBlock({ method: 'GET', authority: ctx.target.authority, path: ctx.paths.small }),
        overlongNameIndexField(p.continuationOctets),
      ]);
      e.sent(await peer.writeUnits(1, () => headersFrame(1, block, { endStream: true, endHeaders: true }), ctx.budget));
    }
    return e.finish();
  },
  judge(o) {
    const none = notDelivered(o);
    if (none !== null) return none;
    if (goaway(o, ['COMPRESSION_ERROR'])) return answer('expected', o, 'a connection error of type COMPRESSION_ERROR, as §4.3 names');
    if (goaway(o) || closed(o)) return answer('tolerated', o, 'closed the connection, but not with GOAWAY COMPRESSION_ERROR');
    return answer('unexpected', o, 'did not treat an undecodable header block as a connection error');
  },
});
