// API_PROCESSES > 1 (node:cluster): the primary forks the API processes that share PORT, starts
// again one that dies (with backoff, logged), forwards SIGTERM/SIGINT so each drains, and answers
// their metrics requests with every process's series aggregated (prom-client's AggregatorRegistry).
import cluster, { type Worker } from 'node:cluster';
import client from 'prom-client';
import type { Logger } from '../core/logger.js';
import type { ProcessMetricsSource } from './metrics.js';

const METRICS_REQ = 'odcs-flow:api-metrics-req';
const METRICS_RES = 'odcs-flow:api-metrics-res';
/** A process that dies within this long after it started listening counts towards a crash loop. */
const STABLE_MS = 60_000;
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 15_000;
/** Quick deaths in a row (none of them ever listening) before the primary gives up: a crash loop at start-up. */
const MAX_FAILED_STARTS = 5;

export interface PrimaryOptions {
  processes: number;
  log: Logger;
  /** How long a draining process may take before it is killed (its own drain ends earlier). */
  drainMs: number;
}

interface Slot {
  index: number;
  worker: Worker | null;
  startedAt: number;
  listening: boolean;
  backoffMs: number;
  failedStarts: number;
  timer: NodeJS.Timeout | null;
}

/** The primary: forks, restarts, drains and aggregates; never serves a request itself. */
export function runApiPrimary({ processes, log, drainMs }: PrimaryOptions): { stop(status: number): Promise<void> } {
  const aggregator = new client.AggregatorRegistry();
  const slots: Slot[] = Array.from({ length: processes }, (_, index) => ({ index, worker: null, startedAt: 0, listening: false, backoffMs: FIRST_BACKOFF_MS, failedStarts: 0, timer: null }));
  let stopping = false;

  const fork = (slot: Slot) => {
    slot.timer = null;
    const worker = cluster.fork({ ODCS_API_SLOT: String(slot.index) });
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.listening = false;
    worker.on('listening', () => {
      slot.listening = true;
    });
    worker.on('message', (m: { type?: string; id?: number }) => {
      if (m?.type !== METRICS_REQ) return;
      aggregator.clusterMetrics().then(
        (text) => worker.isConnected() && worker.send({ type: METRICS_RES, id: m.id, text }),
        (err: Error) => worker.isConnected() && worker.send({ type: METRICS_RES, id: m.id, error: err.message }),
      );
    });
    worker.on('exit', (code, signal) => {
      if (slot.worker !== worker) return;
      slot.worker = null;
      if (stopping) return;
      const how = signal ? `signal ${signal}` : `exit status ${code}`;
      const ranMs = Date.now() - slot.startedAt;
      if (slot.listening && ranMs >= STABLE_MS) {
        slot.backoffMs = FIRST_BACKOFF_MS;
        slot.failedStarts = 0;
      }
      if (!slot.listening && ++slot.failedStarts >= MAX_FAILED_STARTS) {
        log.fatal({ pid: worker.process.pid, slot: slot.index, how }, `API process keeps failing before it listens (${how}, ${slot.failedStarts} times); stopping`);
        void stop(1);
        return;
      }
      const delay = slot.backoffMs;
      slot.backoffMs = Math.min(MAX_BACKOFF_MS, slot.backoffMs * 2);
      log.warn({ pid: worker.process.pid, slot: slot.index, how, ranMs, restartInMs: delay }, `API process ${worker.process.pid} died (${how}); starting another in ${delay / 1000} s`);
      slot.timer = setTimeout(() => fork(slot), delay);
    });
  };

  const stop = async (status: number) => {
    if (stopping) return;
    stopping = true;
    for (const slot of slots) if (slot.timer) clearTimeout(slot.timer);
    const running = slots.map((s) => s.worker).filter((w): w is Worker => w !== null && !w.isDead());
    log.info({ processes: running.length }, 'API primary: draining the API processes');
    await Promise.all(
      running.map(
        (w) =>
          new Promise<void>((resolve) => {
            const kill = setTimeout(() => w.process.kill('SIGKILL'), drainMs + 5_000);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
    log.info('API primary stopped');
    process.exit(status);
  };

  process.once('SIGTERM', () => void stop(0));
  process.once('SIGINT', () => void stop(0));
  for (const slot of slots) fork(slot);
  log.info({ processes, pid: process.pid }, `API primary: ${processes} API processes`);
  return { stop };
}

/**
 * In an API process of the cluster: this process's series are answered to the primary's
 * aggregation (prom-client listens for its requests), and a scrape asks the primary for the sum
 * over every process. If the primary cannot answer (a process died mid-scrape: its 5 s timeout),
 * the scrape reports this process alone rather than failing.
 */
export const clusterProcessMetrics: ProcessMetricsSource = (local) => {
  // Constructing one installs prom-client's listener that answers the primary's requests.
  new client.AggregatorRegistry();
  client.AggregatorRegistry.setRegistries([local]);
  const pending = new Map<number, (text: string | null) => void>();
  let next = 0;
  process.on('message', (m: { type?: string; id?: number; text?: string; error?: string }) => {
    if (m?.type !== METRICS_RES || m.id === undefined) return;
    pending.get(m.id)?.(m.error ? null : (m.text ?? null));
    pending.delete(m.id);
  });
  return async () => {
    const id = next++;
    const text = await new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(null);
      }, 6_000);
      pending.set(id, (t) => {
        clearTimeout(timer);
        resolve(t);
      });
      process.send!({ type: METRICS_REQ, id });
    });
    return text ?? local.metrics();
  };
};
