/**
 * The http_grpc engine: each request is one call through HttpGrpcClient (batched into POSTs, or appended
 * to one open POST), its reply checked byte for byte.
 */
import { HttpGrpcClient, type HttpGrpcClientOptions } from '../systems/http-grpc/client.ts';
import { requestFrameLength } from '../wire/index.ts';
import { bodyMatches } from './expect.ts';
import type { Expectation, Requester } from './types.ts';

export interface HttpGrpcRequesterOptions {
  client: HttpGrpcClientOptions;
  funcId: number;
  payload: Uint8Array;
  /** default: the payload itself (echo) */
  expect?: Expectation['body'];
}

export function httpGrpcRequester(options: HttpGrpcRequesterOptions): Requester {
  const client = new HttpGrpcClient(options.client);
  const { funcId, payload } = options;
  const expected = options.expect ?? { exact: payload };
  return {
    // one frame per call; the POST's own headers are shared by every call in it
    bytesOutPerRequest: requestFrameLength(0, funcId, payload.length),
    send(done) {
      client.send(funcId, payload, (err, reply) => {
        if (err) return done(err.code, 0);
        done(bodyMatches(reply!, expected) ? null : 'wrong-body', reply!.length);
      });
    },
    async close() {
      if (client.pendingCalls > 0) await client.destroy();
      else await client.close();
    },
  };
}
