/**
 * How a connector keeps its tunnel connections up, whatever the design: each connection is dialled,
 * redialled when lost, and retried with jittered exponential backoff when a dial fails — except when the
 * edge refused the token or the configuration, which no retry can fix.
 */
import { MuxbenchError } from '../../errors.ts';

/** The edge refused this connector's token: fatal, never retried. */
export class ConnectorAuthError extends MuxbenchError {
  override readonly name = 'ConnectorAuthError';
  readonly code = 'MUX_ERR_TUNNEL_AUTH';
}

/**
 * The edge refused this connector's configuration (the grpc tunnel: another link stack): fatal too, since
 * redialling with the same configuration gets the same answer.
 */
export class ConnectorConfigError extends MuxbenchError {
  override readonly name = 'ConnectorConfigError';
  readonly code = 'MUX_ERR_TUNNEL_CONFIG';
}

const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 5000;

function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}

export interface RedialOptions {
  connections: number;
  /** Dials connection `index`; resolves once the edge accepted it; calls `onLost` when it later drops. */
  dial(index: number, onLost: () => void): Promise<unknown>;
  closed(): boolean;
  log(message: string): void;
}

/** Keeps every connection dialled; resolves once all registered once, rejects with a fatal refusal. */
export function keepConnections(options: RedialOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    let registered = 0;
    for (let index = 0; index < options.connections; index++) {
      let backoffMs = BACKOFF_FIRST_MS;
      let first = true;
      const dial = (): void => {
        if (options.closed()) return;
        const onLost = (): void => {
          if (options.closed()) return;
          options.log(`connection ${index} lost; redialling`);
          setTimeout(dial, jitter(BACKOFF_FIRST_MS));
        };
        options.dial(index, onLost).then(
          () => {
            backoffMs = BACKOFF_FIRST_MS;
            if (!first) return options.log(`connection ${index} re-registered`);
            first = false;
            if (++registered === options.connections) resolve();
          },
          (err: Error) => {
            if (err instanceof ConnectorAuthError || err instanceof ConnectorConfigError) {
              options.log(err.message);
              return reject(err);
            }
            if (options.closed()) return;
            options.log(`connection ${index}: ${err.message}; retrying in ${backoffMs} ms`);
            setTimeout(dial, jitter(backoffMs));
            backoffMs = Math.min(BACKOFF_MAX_MS, backoffMs * 2);
          },
        );
      };
      dial();
    }
  });
}

/** Starts a connector and wraps it as a Running system; a connector that cannot start is closed first. */
export async function startConnector<C extends { start(): Promise<void>; close(): Promise<void> }>(
  connector: C,
): Promise<{ connector: C; urls: Record<string, string>; close(): Promise<void> }> {
  try {
    await connector.start();
  } catch (err) {
    await connector.close();
    throw err;
  }
  return { connector, urls: {}, close: () => connector.close() };
}
