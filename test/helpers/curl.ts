/** curl as a test client: the reply's status, headers (lower-case names) and raw body bytes. */
import { execFile } from 'node:child_process';

export interface CurlReply {
  status: number;
  headers: Record<string, string[]>;
  body: Buffer;
}

const MARK = '\n--muxbench-curl--\n';

/** `args` go before the URL (e.g. `--http2-prior-knowledge`, `-H`); a body, if given, is sent with --data-binary. */
export function curl(url: string, args: string[] = [], body?: Uint8Array): Promise<CurlReply> {
  const data = body === undefined ? [] : ['--data-binary', '@-'];
  return new Promise((resolve, reject) => {
    const child = execFile(
      'curl',
      ['-sS', '-o', '-', '-w', `${MARK}%{http_code} %{header_json}`, ...data, ...args, url],
      { encoding: 'buffer', timeout: 20_000, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`curl ${args.join(' ')} ${url} failed: ${err.message}\n${stderr.toString()}`));
        const cut = stdout.lastIndexOf(MARK);
        const tail = stdout.subarray(cut + MARK.length).toString();
        const space = tail.indexOf(' ');
        resolve({
          status: Number(tail.slice(0, space)),
          headers: JSON.parse(tail.slice(space + 1)) as Record<string, string[]>,
          body: stdout.subarray(0, cut),
        });
      },
    );
    child.stdin!.end(body);
  });
}
