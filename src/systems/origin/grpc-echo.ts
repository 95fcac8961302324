/**
 * The gRPC origin's server: the Echo service (src/clients/grpc-echo.ts) without TLS.
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import {
  ECHO_SERVICE,
  type EchoReply,
  type EchoRequest,
  type FailRequest,
  MAX_MESSAGE_BYTES,
  type Received,
  type StreamRequest,
} from '../../clients/grpc-echo.ts';
import { injectCpu } from '../inject-cpu.ts';
import { type Running, urlFor } from '../serve.ts';

/** Most replies one ServerStream call may ask for, so a typo cannot stream forever. */
export const MAX_STREAM_REPLIES = 100_000;

function unary(call: grpc.ServerUnaryCall<Received<EchoRequest>, EchoReply>, callback: grpc.sendUnaryData<EchoReply>): void {
  injectCpu();
  callback(null, { payload: call.request.payload, index: 0 });
}

async function serverStream(call: grpc.ServerWritableStream<Received<StreamRequest>, EchoReply>): Promise<void> {
  const { payload, count, intervalMs } = call.request;
  if (count > MAX_STREAM_REPLIES) {
    call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: `count ${count} exceeds the limit of ${MAX_STREAM_REPLIES}` });
    return;
  }
  // Cancellation (client gone, deadline, RST_STREAM) ends every wait below at once.
  const cancelled = new AbortController();
  call.once('cancelled', () => cancelled.abort());
  call.on('error', () => cancelled.abort());
  const { signal } = cancelled;
  try {
    for (let index = 0; index < count && !signal.aborted; index++) {
      if (index > 0 && intervalMs > 0) await sleep(intervalMs, undefined, { signal });
      if (!call.write({ payload, index })) await once(call, 'drain', { signal });
    }
  } catch (err) {
    if (signal.aborted) return; // AbortError from a wait: nobody is listening any more
    throw err;
  }
  if (!signal.aborted) call.end();
}

function fail(call: grpc.ServerUnaryCall<Received<FailRequest>, EchoReply>, callback: grpc.sendUnaryData<EchoReply>): void {
  const { code, message } = call.request;
  if (code >= 1 && code <= 16) return callback({ code, details: message });
  callback({ code: grpc.status.INVALID_ARGUMENT, details: `Fail: code ${code} is not a gRPC error status (1 to 16); message was '${message}'` });
}

/** The Echo handlers, for `server.addService(ECHO_SERVICE, echoServiceImplementation)`. */
export const echoServiceImplementation: grpc.UntypedServiceImplementation = {
  Unary: unary as grpc.UntypedHandleCall,
  ServerStream: ((call: grpc.ServerWritableStream<Received<StreamRequest>, EchoReply>) => {
    serverStream(call).catch((err: unknown) => call.emit('error', { code: grpc.status.INTERNAL, details: String(err) }));
  }) as grpc.UntypedHandleCall,
  Fail: fail as grpc.UntypedHandleCall,
};

/** Serves Echo on host:port without TLS; urls.grpc is its `http://host:port` address. */
export async function startGrpcEcho(host: string, port: number): Promise<Running> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  server.addService(ECHO_SERVICE, echoServiceImplementation);
  const bound = await new Promise<number>((resolve, reject) => {
    const address = urlFor('http', host, port).slice('http://'.length); // host:port, IPv6 in brackets
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, boundPort) => (err ? reject(err) : resolve(boundPort)));
  });
  return {
    urls: { grpc: urlFor('http', host, bound) },
    // Not tryShutdown: a slow ServerStream would hold shutdown open for as long as it runs.
    close: async () => server.forceShutdown(),
  };
}
