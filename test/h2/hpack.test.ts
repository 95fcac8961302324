/**
 * HPACK and its Huffman code against RFC 7541's own vectors (Appendix C), byte for byte, plus the
 * malformations a decoder must refuse.
 */
import { describe, expect, it } from 'vitest';
import { encodeHeaderBlock, HpackDecoder, HpackError, pushInteger } from '../../src/h2/hpack.ts';
import { HUFFMAN_CODE_LENGTHS, HUFFMAN_CODES, HuffmanError, huffmanDecode } from '../../src/h2/huffman.ts';
import { hex } from '../helpers/chunks.ts';

type Fields = [string, string][];

function decodeAll(decoder: HpackDecoder, block: Uint8Array): { fields: Fields; status: number } {
  const fields: Fields = [];
  const status = decoder.decode(block, 0, block.length, (n, v) => fields.push([n, v]));
  return { fields, status };
}

/** Sizes of the dynamic table entries, newest first, as the RFC lists them ("s = 57"). */
function entrySizes(decoder: HpackDecoder): number[] {
  return decoder.dynamicEntries().map(([n, v]) => n.length + v.length + 32);
}

describe('Huffman code (RFC 7541 Appendix B)', () => {
  it('the code lengths form a complete prefix code (Kraft equality)', () => {
    expect(HUFFMAN_CODE_LENGTHS).toHaveLength(257);
    const kraft = HUFFMAN_CODE_LENGTHS.reduce((sum, len) => sum + 2 ** -len, 0);
    expect(kraft).toBe(1);
  });

  it.each([
    [0, 0x1ff8, 13],
    [1, 0x7fffd8, 23],
    [9, 0xffffea, 24],
    [10, 0x3ffffffc, 30],
    [13, 0x3ffffffd, 30],
    [22, 0x3ffffffe, 30],
    [32, 0x14, 6],
    [47, 0x18, 6],
    [48, 0x0, 5],
    [60, 0x7ffc, 15],
    [92, 0x7fff0, 19],
    [116, 0x9, 5],
    [126, 0x1ffd, 13],
    [127, 0xffffffc, 28],
    [128, 0xfffe6, 20],
    [153, 0x1fffdc, 21],
    [195, 0x7fff1, 19],
    [199, 0x1ffffec, 25],
    [203, 0x7ffffde, 27],
    [220, 0xffffffd, 28],
    [227, 0x1fffe6, 21],
    [249, 0xffffffe, 28],
    [254, 0x7fffff0, 27],
    [255, 0x3ffffee, 26],
    [256, 0x3fffffff, 30],
  ])('symbol %i has code %s (%i bits) as in the appendix', (sym, code, len) => {
    expect(HUFFMAN_CODE_LENGTHS[sym]).toBe(len);
    expect(HUFFMAN_CODES[sym]).toBe(code);
  });

  it.each([
    ['f1e3c2e5f23a6ba0ab90f4ff', 'www.example.com'],
    ['a8eb10649cbf', 'no-cache'],
    ['25a849e95ba97d7f', 'custom-key'],
    ['25a849e95bb8e8b4bf', 'custom-value'],
    ['6402', '302'],
    ['aec3771a4b', 'private'],
    ['d07abe941054d444a8200595040b8166e082a62d1bff', 'Mon, 21 Oct 2013 20:13:21 GMT'],
    ['9d29ad171863c78f0b97c8e9ae82ae43d3', 'https://www.example.com'],
    ['', ''],
  ])('decodes %s as %j', (bytes, text) => {
    const b = hex(bytes);
    expect(huffmanDecode(b, 0, b.length)).toBe(text);
  });

  it('decodes every byte value (codes up to 30 bits) written with the canonical code', () => {
    // Pack all 256 symbols, then EOS-prefix padding, and decode them back.
    const bits: number[] = [];
    for (let sym = 0; sym < 256; sym++) {
      for (let i = HUFFMAN_CODE_LENGTHS[sym]! - 1; i >= 0; i--) bits.push(Math.floor(HUFFMAN_CODES[sym]! / 2 ** i) & 1);
    }
    while (bits.length % 8 !== 0) bits.push(1);
    const bytes = new Uint8Array(bits.length / 8);
    for (let i = 0; i < bits.length; i++) bytes[i >> 3]! |= bits[i]! << (7 - (i & 7));
    const decoded = huffmanDecode(bytes, 0, bytes.length);
    expect(Array.from(decoded, (c) => c.charCodeAt(0))).toEqual(Array.from({ length: 256 }, (_, i) => i));
  });

  it.each([
    ['ffffffff', /EOS/], // 30-bit EOS, then two bits of padding
    ['1fff', /padding of 11 bits/], // 'a' then 11 one-bits
    ['18', /not the prefix of EOS/], // 'a' then 000
  ])('refuses %s', (bytes, message) => {
    const b = hex(bytes);
    expect(() => huffmanDecode(b, 0, b.length)).toThrow(HuffmanError);
    expect(() => huffmanDecode(b, 0, b.length)).toThrow(message);
  });
});

describe('HPACK integers (RFC 7541 C.1)', () => {
  it.each([
    [10, 5, '0a'],
    [1337, 5, '1f9a0a'],
    [42, 8, '2a'],
  ])('%i with a %i-bit prefix is %s', (value, prefix, bytes) => {
    const out: number[] = [];
    pushInteger(out, 0, prefix, value);
    expect(Buffer.from(out).toString('hex')).toBe(bytes);
  });
});

describe('HPACK header field representations (RFC 7541 C.2)', () => {
  it.each([
    ['C.2.1 literal with indexing', '400a637573746f6d2d6b65790d637573746f6d2d686561646572', [['custom-key', 'custom-header']], [55]],
    ['C.2.2 literal without indexing', '040c2f73616d706c652f70617468', [[':path', '/sample/path']], []],
    ['C.2.3 literal never indexed', '100870617373776f726406736563726574', [['password', 'secret']], []],
    ['C.2.4 indexed', '82', [[':method', 'GET']], []],
  ])('%s', (_, bytes, fields, sizes) => {
    const d = new HpackDecoder();
    expect(decodeAll(d, hex(bytes)).fields).toEqual(fields);
    expect(entrySizes(d)).toEqual(sizes);
  });
});

const REQUESTS: Fields[] = [
  [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
  ],
  [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
    ['cache-control', 'no-cache'],
  ],
  [
    [':method', 'GET'],
    [':scheme', 'https'],
    [':path', '/index.html'],
    [':authority', 'www.example.com'],
    ['custom-key', 'custom-value'],
  ],
];
const REQUEST_TABLES: { entries: Fields; sizes: number[]; size: number }[] = [
  { entries: [[':authority', 'www.example.com']], sizes: [57], size: 57 },
  {
    entries: [
      ['cache-control', 'no-cache'],
      [':authority', 'www.example.com'],
    ],
    sizes: [53, 57],
    size: 110,
  },
  {
    entries: [
      ['custom-key', 'custom-value'],
      ['cache-control', 'no-cache'],
      [':authority', 'www.example.com'],
    ],
    sizes: [54, 53, 57],
    size: 164,
  },
];

const RESPONSES: Fields[] = [
  [
    [':status', '302'],
    ['cache-control', 'private'],
    ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
    ['location', 'https://www.example.com'],
  ],
  [
    [':status', '307'],
    ['cache-control', 'private'],
    ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
    ['location', 'https://www.example.com'],
  ],
  [
    [':status', '200'],
    ['cache-control', 'private'],
    ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
    ['location', 'https://www.example.com'],
    ['content-encoding', 'gzip'],
    ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
  ],
];
const RESPONSE_STATUS = [302, 307, 200];
const RESPONSE_TABLES: { entries: Fields; sizes: number[]; size: number }[] = [
  {
    entries: [
      ['location', 'https://www.example.com'],
      ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
      ['cache-control', 'private'],
      [':status', '302'],
    ],
    sizes: [63, 65, 52, 42],
    size: 222,
  },
  {
    entries: [
      [':status', '307'],
      ['location', 'https://www.example.com'],
      ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
      ['cache-control', 'private'],
    ],
    sizes: [42, 63, 65, 52],
    size: 222,
  },
  {
    entries: [
      ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
      ['content-encoding', 'gzip'],
      ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
    ],
    sizes: [98, 52, 65],
    size: 215,
  },
];

describe.each([
  {
    name: 'C.3 requests without Huffman',
    tableSize: 4096,
    expected: REQUESTS,
    status: [-1, -1, -1],
    tables: REQUEST_TABLES,
    blocks: ['828684410f7777772e6578616d706c652e636f6d', '828684be58086e6f2d6361636865', '828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565'],
  },
  {
    name: 'C.4 requests with Huffman',
    tableSize: 4096,
    expected: REQUESTS,
    status: [-1, -1, -1],
    tables: REQUEST_TABLES,
    blocks: ['828684418cf1e3c2e5f23a6ba0ab90f4ff', '828684be5886a8eb10649cbf', '828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf'],
  },
  {
    name: 'C.5 responses without Huffman, 256-octet table (evictions)',
    tableSize: 256,
    expected: RESPONSES,
    status: RESPONSE_STATUS,
    tables: RESPONSE_TABLES,
    blocks: [
      '4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d',
      '4803333037c1c0bf',
      '88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31',
    ],
  },
  {
    name: 'C.6 responses with Huffman, 256-octet table (evictions)',
    tableSize: 256,
    expected: RESPONSES,
    status: RESPONSE_STATUS,
    tables: RESPONSE_TABLES,
    blocks: [
      '488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3',
      '4883640effc1c0bf',
      '88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007',
    ],
  },
])('HPACK decoder, RFC 7541 $name', ({ tableSize, expected, status, tables, blocks }) => {
  it('decodes the three blocks in sequence into the RFC header lists and dynamic tables', () => {
    const d = new HpackDecoder(tableSize);
    blocks.forEach((block, i) => {
      const r = decodeAll(d, hex(block));
      expect(r.fields).toEqual(expected[i]);
      expect(r.status).toBe(status[i]);
      expect(d.dynamicEntries()).toEqual(tables[i]!.entries);
      expect(entrySizes(d)).toEqual(tables[i]!.sizes);
      expect(d.tableSize).toBe(tables[i]!.size);
    });
  });

  it('keeps the same table when no sink asks for the fields (the engine hot path)', () => {
    const d = new HpackDecoder(tableSize);
    blocks.forEach((block, i) => {
      const b = hex(block);
      expect(d.decode(b, 0, b.length, null)).toBe(status[i]);
      expect(d.dynamicEntries()).toEqual(tables[i]!.entries);
    });
  });
});

describe('HPACK decoder refuses malformed blocks', () => {
  it.each([
    ['indexed field 0', '80', /index 0/],
    ['index past the dynamic table', 'be', /past the end of the dynamic table/],
    ['size update above the advertised maximum', '3fe21f', /exceeds the advertised 4096/],
    ['size update after a field', '8220', /after a header field/],
    ['truncated integer', '7f', /integer runs past/],
    ['string longer than the block', '0005616263', /runs past the end/],
    ['integer too large', '7fffffffffff0f', /integer too large/],
    ['bad Huffman padding in an indexed value', '4001618118', /not the prefix of EOS/],
  ])('%s', (_, bytes, message) => {
    const d = new HpackDecoder();
    const b = hex(bytes);
    expect(() => d.decode(b, 0, b.length, null)).toThrow(HpackError);
    expect(() => new HpackDecoder().decode(b, 0, b.length, null)).toThrow(message);
  });

  it('applies a size update at the start of a block, evicting entries', () => {
    const d = new HpackDecoder();
    decodeAll(d, hex('400a637573746f6d2d6b65790d637573746f6d2d686561646572')); // custom-key: custom-header (55)
    expect(d.tableSize).toBe(55);
    decodeAll(d, hex('3f15')); // size update to 31 + 21 = 52: the entry no longer fits
    expect(d.tableMaxSize).toBe(52);
    expect(d.dynamicEntries()).toEqual([]);
  });

  it('an entry larger than the whole table empties it and is not added', () => {
    const d = new HpackDecoder(64);
    decodeAll(d, hex('4803333032')); // :status 302 (42)
    expect(d.tableSize).toBe(42);
    const r = decodeAll(d, hex('400a637573746f6d2d6b65790d637573746f6d2d686561646572')); // 55 + the 42 > 64 → evict; 55 fits
    expect(r.fields).toEqual([['custom-key', 'custom-header']]);
    expect(d.dynamicEntries()).toEqual([['custom-key', 'custom-header']]);
    const big = encodeLiteralWithIndexing('x-big', 'y'.repeat(40)); // 5 + 40 + 32 = 77 > 64
    decodeAll(d, big);
    expect(d.dynamicEntries()).toEqual([]);
    expect(d.tableSize).toBe(0);
  });
});

describe('HPACK request encoder', () => {
  it('uses exact static matches as indexed fields and never indexes anything new', () => {
    const block = encodeHeaderBlock([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    // 82 86 84, then :authority as a literal without indexing (0000 0001) with a raw 15-octet value
    expect(block.toString('hex')).toBe('828684010f7777772e6578616d706c652e636f6d');
  });

  it('round-trips through the decoder, with the table size update first, leaving the table empty', () => {
    const fields: Fields = [
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', '/echo?x=1'],
      [':authority', '127.0.0.1:8080'],
      ['content-type', 'application/octet-stream'],
      ['x-custom-header', 'v'.repeat(200)],
    ];
    const block = encodeHeaderBlock(fields, true);
    expect(block[0]).toBe(0x20);
    const d = new HpackDecoder();
    expect(decodeAll(d, block).fields).toEqual(fields);
    expect(d.dynamicEntries()).toEqual([]);
    expect(d.tableMaxSize).toBe(0);
  });
});

function encodeLiteralWithIndexing(name: string, value: string): Uint8Array {
  return Uint8Array.from([0x40, name.length, ...Buffer.from(name), value.length, ...Buffer.from(value)]);
}

describe('HPACK decoder against hostile blocks', () => {
  it('an integer with ~150 continuation octets is an HpackError, not NaN (which used to throw a TypeError/RangeError)', () => {
    const blocks = [
      [0x00, 0xff, ...Array(150).fill(0x80), 0x00, 0x01, 0x61], // a string length
      [0xff, ...Array(150).fill(0x80), 0x00], // an index
      [0x3f, ...Array(150).fill(0x80), 0x00], // a table size update
      [0x7f, ...Array(5).fill(0xff), 0x00], // 2^35 and more, in few octets
    ];
    for (const b of blocks) {
      const bytes = Uint8Array.from(b);
      for (const sink of [null, () => {}]) {
        expect(() => new HpackDecoder().decode(bytes, 0, bytes.length, sink)).toThrow(HpackError);
      }
    }
  });

  it('stops materialising fields once the header list passes its bound, while still decoding (HPACK bomb)', () => {
    const d = new HpackDecoder(4096, 16 * 1024);
    // one 4 KB entry, then 15,000 references to it: 60 MB if every reference became a field
    const entry = Uint8Array.from([0x40, 6, ...Buffer.from('x-bomb'), 0x7f, 0x80 | 33, 30, ...Buffer.alloc(4000, 0x61)]);
    const block = new Uint8Array(entry.length + 15_000 + 1);
    block.set(entry);
    block.fill(0xbe, entry.length, entry.length + 15_000); // indexed 62
    block[block.length - 1] = 0x82; // :method GET, after the bomb: still decoded, not emitted
    let emitted = 0;
    let fields = 0;
    d.decode(block, 0, block.length, (n, v) => {
      fields++;
      emitted += n.length + v.length + 32;
    });
    expect(d.overflowed).toBe(true);
    expect(emitted).toBeLessThanOrEqual(16 * 1024);
    expect(fields).toBeLessThan(10);
    expect(d.dynamicEntries()).toHaveLength(1); // the table still follows the encoder
    // the next block decodes normally
    const ok = hex('82');
    expect(decodeAll(d, ok).fields).toEqual([[':method', 'GET']]);
    expect(d.overflowed).toBe(false);
  });

  it('counts the list by RFC 9113 §6.5.2 (name + value + 32 per field) even without a sink', () => {
    const d = new HpackDecoder(4096, 100);
    const b = Uint8Array.from([...literal('x-a', 'v'.repeat(40)), ...literal('x-b', 'v'.repeat(40))]);
    d.decode(b, 0, b.length, null);
    expect(d.overflowed).toBe(true);
  });
});

describe('HPACK encoder scratch buffer', () => {
  it('does not stay huge after one large head', async () => {
    const { encodeHeadTransient, encoderScratchBytes } = await import('../../src/h2/hpack.ts');
    encodeHeadTransient([[':status', '200']], { 'x-big': 'v'.repeat(4 << 20) }, new Set());
    expect(encoderScratchBytes()).toBeGreaterThan(4 << 20);
    encodeHeadTransient([[':status', '200']], { 'x-small': 'v' }, new Set());
    expect(encoderScratchBytes()).toBeLessThanOrEqual(64 * 1024);
  });
});

function literal(name: string, value: string): number[] {
  return [0x00, name.length, ...Buffer.from(name), value.length, ...Buffer.from(value)];
}
