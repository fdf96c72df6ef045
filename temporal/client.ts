// The API's Temporal client. Connects lazily, so the API starts (and /healthz answers) while
// Temporal is still down, and reconnects by itself when it returns.
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

export interface TemporalGateway {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

export function createTemporalGateway(address: string, namespace: string): TemporalGateway {
  const connection = Connection.lazy({
    address,
    connectTimeout: 3_000,
    // A request is waiting on the other end: retry an unavailable Temporal for a few seconds,
    // not the SDK's default of half a minute, then answer 503.
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4, maxIntervalMs: () => 1_000 }))],
  });
  const client = new Client({ connection, namespace });
  return { client, connection, close: () => connection.close() };
}

/** True when an error from the Temporal client means "Temporal is not reachable". */
export function isTemporalUnavailable(err: unknown): boolean {
  const e = err as { code?: number; name?: string; message?: string; cause?: unknown } | undefined;
  if (!e) return false;
  // gRPC UNAVAILABLE (14) and DEADLINE_EXCEEDED (4)
  if (e.code === 14 || e.code === 4) return true;
  if (e.name === 'TransportError' || e.name === 'ConnectionError') return true;
  if (/UNAVAILABLE|DEADLINE_EXCEEDED|Failed to connect|connect ECONNREFUSED|transport error/i.test(e.message ?? '')) return true;
  return e.cause ? isTemporalUnavailable(e.cause) : false;
}
