/**
 * CVE-2019-9516: header blocks packed with fields whose name and value are both empty (3 octets each, half
 * of them Huffman-flagged), which a decoder that allocates per field turns into memory.
 */
import { Engagement } from '../engagement.ts';
import { emptyField, headersFrame, requestBlock } from '../frames.ts';
import { answer, answeredStreams, closed, goaway, notDelivered, rst, status } from './answers.ts';
import { definePattern } from './types.ts';

export default definePattern({
  id: 'zero-length-headers',
  title: '0-length headers',
  cve: 'CVE-2019-9516',
  year: 2019,
  summary: 'requests whose header blocks are filled with empty-name, empty-value fields, one frame each',
  expected: 'RST_STREAM PROTOCOL_ERROR or a 4xx (an empty name is no field name, RFC 9110 §5.1), or GOAWAY, with memory bounded',
  rfc: 'RFC 9113 §8.1.1, §8.2.1; RFC 9110 §5.1',
  defaults: { streams: 200 },
  scaled: ['streams'],
  async run(ctx, p) {
    const e = new Engagement(ctx, 'requests of empty fields', p.streams);
    const peer = await e.open({ handshake: true });
    if (peer !== null) {
      const head = requestBlock({ method: 'GET', authority: ctx.target.authority, path: ctx.paths.small });
      const fields = Math.floor((peer.settings.maxFrameSize - head.length) / 3);
      const blocks = [false, true].map((huffman) => Buffer.concat([head, ...Array.from({ length: fields }, () => emptyField(huffman))]));
      e.notes.push(`${fields.toLocaleString('en-US')} empty fields per request`);
      const sent = await peer.writeUnits(p.streams, (i) => headersFrame(2 * i + 1, blocks[i % 2]!, { endStream: true, endHeaders: true }), ctx.budget);
      e.sent(sent);
      return e.finish(() => answeredStreams(peer) >= sent.units);
    }
    return e.finish();
  },
  judge(o) {
    const none = notDelivered(o);
    if (none !== null) return none;
    if (
      rst(o, ['PROTOCOL_ERROR', 'ENHANCE_YOUR_CALM']) ||
      status(o, (s) => s >= 400 && s < 500) ||
      goaway(o, ['PROTOCOL_ERROR', 'COMPRESSION_ERROR', 'ENHANCE_YOUR_CALM'])
    ) {
      return answer('expected', o, 'refused the requests with empty field names');
    }
    if (status(o, (s) => s < 400))
      return answer(
        'tolerated',
        o,
        "answered as if the empty fields were not there: RFC 9113 §8.2.1 lists no rule for empty names, only RFC 9110's grammar excludes them",
      );
    if (rst(o) || goaway(o) || closed(o)) return answer('tolerated', o, 'refused, but not with PROTOCOL_ERROR as §8.1.1 names');
    return answer('unexpected', o, 'no answer to complete requests');
  },
});
