/**
 * One public HTTP request through the tunnel, the same for HTTP/1.1 (node:http) and h2c (raw session)
 * clients: open an exchange, relay the request body, answer with the origin's head, body and trailers —
 * or with a status and a text saying why not. `PublicCall` is what each protocol supplies.
 *
 * Whenever the client goes away — before the exchange opened, while it waits for a tunnel stream, or
 * mid-response — the exchange is aborted (or never opened): nothing it held stays held.
 */
import type { Readable, Writable } from 'node:stream';
import { injectCpu } from '../inject-cpu.ts';
import { relay } from './splice.ts';
import { type Headers, type OpenContext, type TunnelBackend, type TunnelExchange, type TunnelRequestHead, TunnelUnavailableError } from './types.ts';

export interface PublicCall {
  readonly head: TunnelRequestHead;
  /** the request body (read only when head.hasBody) */
  readonly body: Readable;
  /** where the response body goes */
  readonly out: Writable;
  /** calls `fn` when the client goes away (or the exchange is over) */
  onGone(fn: () => void): void;
  /** a status and a text body, or a cut-off exchange if the head went out already */
  replyText(status: number, message: string): void;
  /** the response head; `endStream`: nothing follows (one HEADERS frame with END_STREAM on HTTP/2) */
  respond(status: number, headers: Headers, endStream: boolean): void;
  /** ends the response body, with trailers if there are any */
  end(trailers: Headers | null): void;
}

export function unavailable(err: unknown): [number, string] {
  if (err instanceof TunnelUnavailableError) return [err.status, err.message];
  return [502, `tunnel error: ${err instanceof Error ? err.message : String(err)}`];
}

/** One request's forwarding state (one object per request; the backend reads `gone`). */
class Forwarding implements OpenContext {
  gone = false;
  /** the answer (or its failure) is settled: later events change nothing */
  finished = false;
  ex: TunnelExchange | null = null;

  clientGone(): void {
    this.gone = true;
    if (this.ex !== null && !this.finished) this.ex.abort('the public client went away');
  }
}

export async function forwardCall(call: PublicCall, backend: TunnelBackend): Promise<void> {
  injectCpu();
  const { head } = call;
  const f = new Forwarding();
  call.onGone(() => f.clientGone());
  let ex: TunnelExchange;
  try {
    ex = await backend.open(head, f);
  } catch (err) {
    if (f.gone) return;
    call.body.resume();
    const [status, message] = unavailable(err);
    return call.replyText(status, message);
  }
  if (f.gone) {
    // reset while it waited for a tunnel stream: give the stream back at once
    ex.abort('the public client went away before its tunnel stream opened');
    return;
  }
  f.ex = ex;
  ex.stream.on('error', (err: Error) => {
    if (f.finished || f.gone) return;
    f.finished = true;
    call.replyText(502, `tunnel stream failed: ${err.message}`);
  });
  // Without a body the backend opened the stream already ended (END_STREAM on its HEADERS).
  if (head.hasBody) relay(call.body, ex.stream, () => ex.stream.end());
  else call.body.resume();

  let response;
  try {
    response = await ex.response;
  } catch (err) {
    if (!f.finished && !f.gone) {
      f.finished = true;
      const [status, message] = unavailable(err);
      call.replyText(status, message);
    }
    return;
  }
  if (f.finished) return;
  if (f.gone) {
    ex.abort('the public client went away');
    return;
  }
  if (response.endStream) {
    f.finished = true;
    call.respond(response.status, response.headers, true);
    return;
  }
  call.respond(response.status, response.headers, false);
  relay(ex.stream, call.out, () => {
    if (f.finished) return;
    f.finished = true;
    const trailers = ex.trailers();
    call.end(trailers && Object.keys(trailers).length > 0 ? trailers : null);
  });
}
