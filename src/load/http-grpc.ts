/**
 * The http_grpc engine: each request is one call through HttpGrpcClient (batched into POSTs, or appended
 * to one open POST), its reply checked byte for byte.
 */
import { HttpGrpcClient, type HttpGrpcClientOptions } from '../clients/http-grpc/client.ts';
import { requestFrameLength } from '../wire/index.ts';
import { bodyMatches } from './expect.ts';
import type { Expectation, Requester } from './types.ts';

export interface HttpGrpcRequesterOptions {
  client: HttpGrpcClientOptions;
  funcId: number;
  payload: Uint8Array;
  /** default: the payload itself (echo) */
  expect?: Expectation['body'];
  /**
   * Share one client with every other requester of this process that has equal client options: the load
   * groups of a point then put their calls into the same POSTs, so bulk replies and small ones share a
   * response body as they would in one application.
   */
  shareClient?: boolean;
}

/** Clients shared by requesters of this process (a load worker), by their options, with how many use each. */
const sharedClients = new Map<string, { client: HttpGrpcClient; users: number }>();

function acquireClient(options: HttpGrpcClientOptions, share: boolean): { client: HttpGrpcClient; release: () => boolean } {
  if (!share) return { client: new HttpGrpcClient(options), release: () => true };
  const key = JSON.stringify(options);
  const entry = sharedClients.get(key) ?? { client: new HttpGrpcClient(options), users: 0 };
  entry.users++;
  sharedClients.set(key, entry);
  return {
    client: entry.client,
    // the last user closes it
    release: () => {
      if (--entry.users > 0) return false;
      sharedClients.delete(key);
      return true;
    },
  };
}

export function httpGrpcRequester(options: HttpGrpcRequesterOptions): Requester {
  const { client, release } = acquireClient(options.client, options.shareClient ?? false);
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
      if (!release()) return;
      if (client.pendingCalls > 0) await client.destroy();
      else await client.close();
    },
  };
}
