/**
 * gRPC engine (@grpc/grpc-js): unary Echo calls on `connections` channels (each its own HTTP/2
 * connection), calls spread round-robin; a reply must carry exactly the payload sent.
 */
import * as grpc from '@grpc/grpc-js';
import { createEchoClient, type EchoClient } from '../clients/grpc-echo.ts';
import type { Requester } from './types.ts';

export interface GrpcRequestSpec {
  url: string;
  payload: Uint8Array;
  connections: number;
  timeoutMs?: number;
}

/** gRPC framing (5 bytes) + protobuf field header (≤ 6 bytes) + HTTP/2 HEADERS for the call, roughly */
const CALL_OVERHEAD_BYTES = 80;

export function grpcRequester(spec: GrpcRequestSpec): Requester {
  const clients: EchoClient[] = [];
  for (let i = 0; i < Math.max(1, spec.connections); i++) {
    // A private subchannel pool per client, or grpc-js would share one connection among them.
    clients.push(createEchoClient(spec.url, { 'grpc.use_local_subchannel_pool': 1 }));
  }
  const payload = Buffer.from(spec.payload);
  const timeoutMs = spec.timeoutMs ?? 30_000;
  let next = 0;
  return {
    bytesOutPerRequest: payload.length + CALL_OVERHEAD_BYTES,
    send(done) {
      const client = clients[next++ % clients.length]!;
      client.unary({ payload }, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, reply) => {
        if (err) return done(err.code === 4 ? 'timeout' : `grpc-${err.code}`, 0);
        const got = reply!.payload;
        done(Buffer.compare(got, payload) === 0 ? null : 'wrong-body', got.length);
      });
    },
    async close() {
      for (const c of clients) c.close();
    },
  };
}
