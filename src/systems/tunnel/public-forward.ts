/**
 * One public HTTP request through the tunnel, the same for HTTP/1.1 (node:http) and h2c (raw session)
 * clients: open an exchange, relay the request body, answer with the origin's head, body and trailers —
 * or with a status and a text saying why not. `PublicCall` is what each protocol supplies.
 */
import type { Readable, Writable } from 'node:stream';
import { injectCpu } from '../inject-cpu.ts';
import { relay } from './splice.ts';
import { type Headers, type TunnelBackend, type TunnelExchange, type TunnelRequestHead, TunnelUnavailableError } from './types.ts';

export interface PublicCall {
  readonly head: TunnelRequestHead;
  /** the request body (read only when head.hasBody) */
  readonly body: Readable;
  /** where the response body goes */
  readonly out: Writable;
  /** calls `fn` when the client goes away */
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

export async function forwardCall(call: PublicCall, backend: TunnelBackend): Promise<void> {
  injectCpu();
  const { head } = call;
  let ex: TunnelExchange;
  try {
    ex = await backend.open(head);
  } catch (err) {
    call.body.resume();
    const [status, message] = unavailable(err);
    return call.replyText(status, message);
  }
  let finished = false;
  call.onGone(() => {
    if (!finished) ex.abort('the public client went away');
  });
  ex.stream.on('error', (err: Error) => {
    if (finished) return;
    finished = true;
    call.replyText(502, `tunnel stream failed: ${err.message}`);
  });
  // Without a body the backend opened the stream already ended (END_STREAM on its HEADERS).
  if (head.hasBody) relay(call.body, ex.stream, () => ex.stream.end());
  else call.body.resume();

  let response;
  try {
    response = await ex.response;
  } catch (err) {
    if (!finished) {
      finished = true;
      const [status, message] = unavailable(err);
      call.replyText(status, message);
    }
    return;
  }
  if (finished) return;
  if (response.endStream) {
    finished = true;
    call.respond(response.status, response.headers, true);
    return;
  }
  call.respond(response.status, response.headers, false);
  relay(ex.stream, call.out, () => {
    if (finished) return;
    finished = true;
    const trailers = ex.trailers();
    call.end(trailers && Object.keys(trailers).length > 0 ? trailers : null);
  });
}
