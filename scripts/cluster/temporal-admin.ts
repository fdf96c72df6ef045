// Readiness probes and first-start set-up of the Temporal cluster: is a service's port open, does
// the frontend serve, can the whole cluster answer a workflow read, and the odcs-flow namespace
// with its search attributes (a real server, unlike the dev server, creates no namespace itself).
import net from 'node:net';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { ensureSearchAttributes } from '../../temporal/search-attributes.js';
import { sleep } from '../services/process-utils.js';

/** Days Temporal keeps a closed workflow's history (composes keep their own records in PostgreSQL). */
export const NAMESPACE_RETENTION_DAYS = 7;

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    sock.setTimeout(1000);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    for (const ev of ['error', 'timeout'] as const) {
      sock.once(ev, () => {
        sock.destroy();
        resolve(false);
      });
    }
  });
}

async function withConnection<T>(address: string, fn: (c: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address, connectTimeout: 2000 });
  try {
    return await fn(connection);
  } finally {
    await connection.close();
  }
}

const code = (err: unknown) => (err as { code?: number }).code;
/** gRPC status codes (google.rpc.Code). */
const grpcStatus = { NOT_FOUND: 5, ALREADY_EXISTS: 6 } as const;

/** The frontend answers gRPC health checks (true even while history is still down). */
export function frontendServing(address: string): Promise<boolean> {
  return withConnection(address, async (c) => {
    const r = await c.healthService.check({});
    return r.status === 1; // SERVING
  });
}

/**
 * The cluster serves reads that need history and matching: describing a workflow that does not
 * exist answers NOT_FOUND (UNAVAILABLE while a service is missing).
 */
export function clusterServing(address: string, namespace: string): Promise<boolean> {
  return withConnection(address, async (c) => {
    try {
      await c.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId: 'odcs-flow-readiness-probe' } });
      return true;
    } catch (err) {
      return code(err) === grpcStatus.NOT_FOUND;
    }
  });
}

/** Registers the namespace when missing, waits until the frontend knows it, then adds the search attributes. */
export async function ensureNamespace(address: string, namespace: string, timeoutMs = 60_000): Promise<{ created: boolean; searchAttributes: string[] }> {
  return withConnection(address, async (c) => {
    let created = false;
    try {
      await c.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(`${NAMESPACE_RETENTION_DAYS} days`),
        description: 'odcs-flow',
      });
      created = true;
    } catch (err) {
      if (code(err) !== grpcStatus.ALREADY_EXISTS) throw err;
    }
    // A new namespace reads "not found" until the frontend's namespace cache refreshes (seconds).
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await c.workflowService.describeNamespace({ namespace });
        break;
      } catch (err) {
        if (code(err) !== grpcStatus.NOT_FOUND || Date.now() > deadline) throw err;
        await sleep(500);
      }
    }
    const searchAttributes = await ensureSearchAttributes(c, namespace);
    return { created, searchAttributes };
  });
}
