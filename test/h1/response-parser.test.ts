/**
 * The HTTP/1.1 response parser on hand-written responses, each fed whole, byte by byte and split at every
 * position: framing by Content-Length, chunked (with extensions and trailers), close-delimited; 1xx
 * skipped; no body for HEAD/204/304; keep-alive rules; malformed input refused with a reason.
 */
import { describe, expect, it } from 'vitest';
import { H1ParseError, H1ResponseParser, type ResponseHead } from '../../src/h1/response-parser.ts';
import { chunkings } from '../helpers/chunks.ts';

interface Parsed {
  heads: ResponseHead[];
  body: string;
  ends: number;
}

function parse(wire: string, method = 'GET', closeAfter = false): Parsed[] {
  const out: Parsed[] = [];
  for (const { chunks } of chunkings(Buffer.from(wire, 'latin1'))) {
    const got: Parsed = { heads: [], body: '', ends: 0 };
    const parser = new H1ResponseParser({
      onHead: (h) => got.heads.push(h),
      onBody: (c) => (got.body += c.toString('latin1')),
      onEnd: () => got.ends++,
    });
    parser.expect(method);
    for (const c of chunks) parser.push(Buffer.from(c));
    if (closeAfter) parser.close();
    out.push(got);
  }
  return out;
}

function expectEvery(results: Parsed[], check: (p: Parsed) => void): void {
  expect(results.length).toBeGreaterThan(2);
  for (const r of results) check(r);
}

describe('H1ResponseParser', () => {
  it('reads a Content-Length body, repeated fields as arrays, names lower-cased', () => {
    const wire = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-Thing:  padded  \r\n\r\nhello';
    expectEvery(parse(wire), (p) => {
      expect(p.heads).toHaveLength(1);
      expect(p.heads[0]).toMatchObject({ status: 200, hasBody: true, keepAlive: true });
      expect(p.heads[0]!.headers).toEqual({ 'content-length': '5', 'set-cookie': ['a=1', 'b=2'], 'x-thing': 'padded' });
      expect(p.body).toBe('hello');
      expect(p.ends).toBe(1);
    });
  });

  it('decodes chunked bodies with extensions and trailers, and ignores a stray Content-Length', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nx-trailer: t\r\n\r\n';
    expectEvery(parse(wire), (p) => {
      expect(p.heads[0]!.headers['content-length']).toBeUndefined();
      expect(p.body).toBe('helloabcdefghijklmnopqrstuvwxyz');
      expect(p.ends).toBe(1);
    });
  });

  it('skips 1xx interim responses and reads the final one', () => {
    const wire = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok';
    expectEvery(parse(wire), (p) => {
      expect(p.heads.map((h) => h.status)).toEqual([201]);
      expect(p.body).toBe('ok');
    });
  });

  it('has no body for HEAD, 204 and 304 whatever the length says', () => {
    expectEvery(parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', 'HEAD'), (p) => {
      expect(p.heads[0]!.hasBody).toBe(false);
      expect(p.ends).toBe(1);
    });
    for (const status of [204, 304]) {
      expectEvery(parse(`HTTP/1.1 ${status} X\r\nContent-Length: 10\r\n\r\n`), (p) => {
        expect(p.heads[0]).toMatchObject({ status, hasBody: false });
        expect(p.ends).toBe(1);
      });
    }
    expectEvery(parse('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), (p) => {
      expect(p.heads[0]!.hasBody).toBe(false);
      expect(p.ends).toBe(1);
    });
  });

  it('reads a body delimited by the close, and marks such connections not reusable', () => {
    expectEvery(parse('HTTP/1.1 200 OK\r\n\r\nuntil the end', 'GET', true), (p) => {
      expect(p.heads[0]!.keepAlive).toBe(false);
      expect(p.body).toBe('until the end');
      expect(p.ends).toBe(1);
    });
  });

  it('follows the keep-alive rules of HTTP/1.1 and HTTP/1.0', () => {
    const ka = (wire: string) => parse(wire)[0]!.heads[0]!.keepAlive;
    expect(ka('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')).toBe(true);
    expect(ka('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')).toBe(false);
    expect(ka('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')).toBe(false);
    expect(ka('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n')).toBe(true);
  });

  it.each([
    ['a bad status line', 'HTTP/2 200 OK\r\n\r\n', /status line/],
    ['a bad header line', 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /header line/],
    ['a bad header name', 'HTTP/1.1 200 OK\r\nba d: x\r\n\r\n', /header name/],
    ['conflicting lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', /content-length/],
    ['a negative length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /content-length/],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk size/],
    ['chunk data without its CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX', /CRLF/],
    ['a protocol switch', 'HTTP/1.1 101 Switching\r\n\r\n', /switched protocols/],
  ])('refuses %s', (_name, wire, message) => {
    const parser = new H1ResponseParser({ onHead: () => {}, onBody: () => {}, onEnd: () => {} });
    parser.expect('GET');
    expect(() => parser.push(Buffer.from(wire, 'latin1'))).toThrow(H1ParseError);
    const again = new H1ResponseParser({ onHead: () => {}, onBody: () => {}, onEnd: () => {} });
    again.expect('GET');
    expect(() => again.push(Buffer.from(wire, 'latin1'))).toThrow(message);
  });

  it('refuses a head larger than its limit, bytes nobody asked for, and a close mid-body', () => {
    const small = new H1ResponseParser({ onHead: () => {}, onBody: () => {}, onEnd: () => {} }, 64);
    small.expect('GET');
    expect(() => small.push(Buffer.from(`HTTP/1.1 200 OK\r\nx: ${'a'.repeat(100)}\r\n\r\n`))).toThrow(/larger than 64/);

    const idle = new H1ResponseParser({ onHead: () => {}, onBody: () => {}, onEnd: () => {} });
    expect(() => idle.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(/no request asked for/);

    const cut = new H1ResponseParser({ onHead: () => {}, onBody: () => {}, onEnd: () => {} });
    cut.expect('GET');
    cut.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    expect(() => cut.close()).toThrow(/before the response was complete/);
  });

  it('parses responses back to back on one connection', () => {
    const ends: string[] = [];
    let body = '';
    const parser = new H1ResponseParser({ onHead: () => {}, onBody: (c) => (body += c.toString()), onEnd: () => ends.push(body) });
    parser.expect('GET');
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none'));
    expect(parser.idle).toBe(true);
    parser.expect('GET');
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n'));
    expect(ends).toEqual(['one', 'onetwo']);
  });
});
