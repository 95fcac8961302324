/**
 * Microbenchmarks of the http_grpc codec (tinybench): varint encode/decode and frame decoding at 16 B and
 * 1 KiB payloads. Prints JSON with ops/s and the mean time per op; also reports frames/s for the decoders.
 *
 *   node bin/run-ts.js bench/codec.bench.ts [--time-ms 500]
 */
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { decodeVarint, encodeRequestFrame, FrameWriter, readVarint, RequestFrameDecoder, writeVarint } from '../src/wire/index.ts';
import { environment, writeBenchResult } from './lib.ts';

const { values } = parseArgs({ options: { 'time-ms': { type: 'string', default: '500' } } });
const time = Number(values['time-ms']);

const FRAMES_PER_BODY = 256;
function body(payloadBytes: number): Buffer {
  const payload = new Uint8Array(payloadBytes).fill(7);
  return Buffer.concat(Array.from({ length: FRAMES_PER_BODY }, (_, i) => encodeRequestFrame(i * 97, 1, payload)));
}
const small = body(16);
const large = body(1024);
const varints = [0, 127, 128, 300, 16_384, 2 ** 21, 2 ** 28, 0xffff_ffff];
const encodedVarints = varints.map((v) => {
  const out = new Uint8Array(5);
  return out.subarray(0, writeVarint(v, out, 0));
});
const scratch = new Uint8Array(5);
let sink = 0;

const bench = new Bench({ time, warmupTime: Math.min(200, time) });
bench
  .add('varint encode ×8', () => {
    for (const v of varints) sink += writeVarint(v, scratch, 0);
  })
  .add('varint decode ×8 (readVarint)', () => {
    for (const b of encodedVarints) sink += readVarint(b, 0, b.length);
  })
  .add('varint decode ×8 (decodeVarint)', () => {
    for (const b of encodedVarints) sink += decodeVarint(b)!.value;
  })
  .add(`decode ${FRAMES_PER_BODY} frames, 16 B payload, one chunk`, () => {
    sink += new RequestFrameDecoder().write(small).length;
  })
  .add(`decode ${FRAMES_PER_BODY} frames, 1 KiB payload, one chunk`, () => {
    sink += new RequestFrameDecoder().write(large).length;
  })
  .add(`decode ${FRAMES_PER_BODY} frames, 16 B payload, 100-byte chunks`, () => {
    const d = new RequestFrameDecoder();
    for (let i = 0; i < small.length; i += 100) sink += d.write(small.subarray(i, i + 100)).length;
  })
  .add(`encode ${FRAMES_PER_BODY} reply frames, 16 B payload (FrameWriter)`, () => {
    const w = new FrameWriter();
    const p = small.subarray(0, 16);
    for (let i = 0; i < FRAMES_PER_BODY; i++) w.responseFrame(i, 0, p);
    sink += w.take().length;
  });

await bench.run();

const results = bench.tasks.map((t) => {
  const r = t.result as { throughput?: { mean: number }; latency?: { mean: number } } | undefined;
  const opsPerSec = r?.throughput?.mean ?? 0;
  const framesPerOp = t.name.includes(`${FRAMES_PER_BODY} `) ? FRAMES_PER_BODY : null;
  return {
    name: t.name,
    opsPerSec: Math.round(opsPerSec),
    meanNsPerOp: r?.latency ? Math.round(r.latency.mean * 1e6) : null,
    framesPerSec: framesPerOp ? Math.round(opsPerSec * framesPerOp) : null,
  };
});
if (sink === 42) process.stderr.write('\n'); // keep `sink` observable so no work is optimised away
writeBenchResult('codec', { bench: 'codec', environment: environment(), timeMs: time, results });
