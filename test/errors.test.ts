/**
 * One error vocabulary: every error class of ours extends MuxbenchError and carries a stable MUX_ERR_ code;
 * a system's start failure keeps its reason and its stderr apart (nothing splits a message to recover one).
 */
import { CpuSetError } from '../src/os/cpus.ts';
import { KernelLegError } from '../src/run/kernel-legs.ts';
import { LoadSplitError } from '../src/load/split.ts';
import { ManifestError } from '../src/k8s/manifests.ts';
import { MergeError } from '../src/run/merge.ts';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HttpGrpcClientClosedError } from '../src/clients/http-grpc/errors.ts';
import { isMuxbenchError, MuxbenchError } from '../src/errors.ts';
import { GateError } from '../src/gate/errors.ts';
import { ErrorCode, FrameError, HeadTooLargeError, StreamError } from '../src/h2/errors.ts';
import { H1ParseError } from '../src/h1/response-parser.ts';
import { ReportInputError } from '../src/report/errors.ts';
import { MeasureError, TargetDiedError } from '../src/run/point.ts';
import { startSystem, SystemStartError } from '../src/run/supervise.ts';
import { LoadWorkerError } from '../src/run/worker.ts';
import { ScenarioError } from '../src/scenario/index.ts';
import { HandshakeError } from '../src/systems/grpc-tunnel/errors.ts';
import { UsageError } from '../src/systems/serve.ts';
import { ConnectorAuthError } from '../src/systems/tunnel/redial.ts';
import { TunnelUnavailableError } from '../src/systems/tunnel/types.ts';
import { WireError } from '../src/wire/index.ts';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('errors', () => {
  it('every error class in src/ extends MuxbenchError (or another of ours)', () => {
    const plain = sources('src').flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/class (\w+) extends (\w+)/g)]
        .filter(([, name, base]) => name!.endsWith('Error') && base === 'Error' && name !== 'MuxbenchError')
        .map(([, name]) => `${f}: ${name}`),
    );
    expect(plain).toEqual([]);
  });

  it('gives each kind a stable MUX_ERR_ code', () => {
    const made: Error[] = [
      new HttpGrpcClientClosedError(),
      new GateError('MUX_ERR_GATE_NO_GIT', 'x'),
      new ReportInputError('MUX_ERR_RESULTS_READ', 'x'),
      new H1ParseError('x'),
      new TargetDiedError('edge', '', 1, null),
      new MeasureError(new Error('x'), { warmup: { steady: null, elapsedMs: 0, spread: null, tolerance: null, series: [] }, trials: [] }),
      new SystemStartError('x', ''),
      new LoadWorkerError('x'),
      new LoadSplitError('x'),
      new ManifestError('x'),
      new MergeError('x'),
      new ScenarioError('x'),
      new HandshakeError('x'),
      new UsageError('x'),
      new ConnectorAuthError('x'),
      new TunnelUnavailableError(502, 'x'),
      new WireError('MUX_ERR_VARINT_OVERLENGTH', 'x'),
      new FrameError(ErrorCode.PROTOCOL_ERROR, 'x'),
      new StreamError(ErrorCode.CANCEL, 'x'),
      new HeadTooLargeError(2, 1),
      new CpuSetError('x'),
      new KernelLegError('x'),
    ];
    for (const e of made) {
      expect(e, e.name).toBeInstanceOf(MuxbenchError);
      expect(isMuxbenchError(e)).toBe(true);
      expect((e as MuxbenchError).code, e.name).toMatch(/^MUX_ERR_[A-Z0-9_]+$/);
    }
    expect(isMuxbenchError(new Error('x'))).toBe(false);
  });

  it("keeps a start failure's reason and its stderr apart", async () => {
    const err = await startSystem('origin', ['--port', 'not-a-port']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SystemStartError);
    const e = err as SystemStartError;
    expect(e.code).toBe('MUX_ERR_SYSTEM_START');
    expect(e.message).toMatch(/exited \(code 2\) before it was ready$/);
    expect(e.stderrTail).toMatch(/port/);
    expect(e.message).not.toContain(e.stderrTail);
  });
});
