// The starter: delivers the commands the API committed in workflow_commands (start a compose's
// workflow, signal it a new expiry or a cancel) to Temporal and marks them done. Woken at once by
// LISTEN/NOTIFY, polling as a fallback; claims batches with FOR UPDATE SKIP LOCKED, so several
// starters (worker processes) share the work and never hold the same row. A starter killed mid-batch
// loses nothing: its transaction rolls back and the rows go to the next claim; delivering a command
// twice is harmless (fixed workflow ids with USE_EXISTING, idempotent signals). The start of a
// waiting compose stays pending until its workflow's first activity takes it, and is delivered
// again each minute until then: a start Temporal acknowledged and then lost is started again.
// Beside the deliveries, an admission loop decides reuse in PostgreSQL (admission.ts): a waiting
// compose that reuses a done one is marked done before its start is delivered, so that workflow
// starts finished and only keeps the expiry timer.
import type { Client } from '@temporalio/client';
import pg from 'pg';
import { COMPOSE_STATES, type ComposeRecord } from '../core/compose.js';
import type { AppConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { OdcsSettings } from '../core/settings.js';
import { getComposes } from '../store/composes.js';
import { inTransaction } from '../store/pool.js';
import {
  claimCommands,
  deferCommand,
  listenForCommands,
  markCommandsDone,
  markStartsDelivered,
  pendingCommands,
  pruneDoneCommands,
  type PendingCommand,
} from '../store/workflow-commands.js';
import { isTemporalUnavailable } from '../temporal/client.js';
import { deliverCommand } from '../temporal/compose.js';
import { admitReuses } from './admission.js';

export interface StarterOptions {
  pool: pg.Pool;
  databaseUrl: string;
  client: Client;
  config: AppConfig;
  settings: OdcsSettings;
  log: Logger;
  /** Commands claimed per transaction (measured: 200 with 64 in flight doubled the start rate of 100 with 16). */
  batchSize?: number;
  /** Composes delivered at once within a batch (commands of one compose go in order). */
  concurrency?: number;
  /** Poll interval when no notification comes (a lost LISTEN connection). */
  pollMs?: number;
  /** Per delivery: a frozen Temporal must not hold a batch forever. */
  deliveryTimeoutMs?: number;
  /** Waiting composes looked at per admission pass (reuse decided in PostgreSQL); 0 turns admission off. */
  admitBatchSize?: number;
}

export interface StarterStats {
  delivered: number;
  /** Composes moved to done at admission by reusing a done compose. */
  admitted: number;
  batches: number;
  unavailableSince: number | null;
}

const PRUNE_EVERY_MS = 5 * 60_000;
/** A start Temporal accepted but whose workflow has not run yet is delivered again after this. */
const START_RETRY_SECONDS = 60;
const KEEP_DONE_SECONDS = 3600;

class TemporalAway extends Error {}

export class WorkflowStarter {
  readonly stats: StarterStats = { delivered: 0, admitted: 0, batches: 0, unavailableSince: null };
  private stopped = false;
  private listener: pg.Client | null = null;
  private readonly deliveries = new Sleeper();
  private readonly admissions = new Sleeper();
  private loop: Promise<void> | null = null;
  private admissionLoop: Promise<void> | null = null;
  private lastWarn = 0;
  private lastAdmitWarn = 0;
  private lastPrune = 0;
  private readonly o: Required<Omit<StarterOptions, 'pool' | 'client' | 'config' | 'settings' | 'log' | 'databaseUrl'>> & StarterOptions;

  constructor(options: StarterOptions) {
    this.o = { batchSize: 200, concurrency: 64, pollMs: 1_000, deliveryTimeoutMs: 10_000, admitBatchSize: 500, ...options };
  }

  start(): this {
    this.loop = this.run();
    if (this.o.admitBatchSize > 0) this.admissionLoop = this.runAdmissions();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await Promise.all([this.loop, this.admissionLoop]);
    await this.listener?.end().catch(() => undefined);
  }

  private wake(): void {
    this.deliveries.wake();
    this.admissions.wake();
  }

  private sleep(ms: number): Promise<void> {
    return this.deliveries.sleep(this.stopped ? 0 : ms);
  }

  /**
   * Decides reuse for waiting composes whose start is pending, woken by the same notifications as
   * the deliveries and independent of them: a slow or absent Temporal does not hold it up.
   */
  private async runAdmissions(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let more = false;
      try {
        const { scanned, reused } = await admitReuses(this.o.pool, this.o, this.o.admitBatchSize);
        this.stats.admitted += reused.length;
        if (reused.length > 0) this.deliveries.wake(); // their (finished) workflows to start
        more = scanned >= this.o.admitBatchSize && reused.length > 0;
        failures = 0;
      } catch (err) {
        failures++;
        if (Date.now() - this.lastAdmitWarn >= 60_000) {
          this.lastAdmitWarn = Date.now();
          this.o.log.warn({ err: (err as Error).message }, 'starter: cannot decide reuse at admission; retrying (the workflows decide it meanwhile)');
        }
        await this.admissions.sleep(this.stopped ? 0 : Math.min(10_000, 250 * 2 ** Math.min(failures - 1, 6)));
        continue;
      }
      if (!more && !this.stopped) await this.admissions.sleep(this.o.pollMs);
    }
  }

  /** A dedicated connection LISTENs; if it drops, the loop polls until it is back. */
  private async ensureListening(): Promise<void> {
    if (this.listener || this.stopped) return;
    const client = new pg.Client({ connectionString: this.o.databaseUrl, connectionTimeoutMillis: 5_000, application_name: 'odcs-flow-starter' });
    client.on('notification', () => this.wake());
    client.on('error', () => undefined);
    client.on('end', () => {
      if (this.listener === client) this.listener = null;
    });
    try {
      await client.connect();
      await listenForCommands(client);
      this.listener = client;
    } catch {
      await client.end().catch(() => undefined);
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      await this.ensureListening();
      let claimed = 0;
      try {
        claimed = await this.runBatch();
        if (this.stats.unavailableSince !== null) {
          this.o.log.info({ downForMs: Date.now() - this.stats.unavailableSince }, 'starter: Temporal answers again; delivering the backlog');
          this.stats.unavailableSince = null;
        }
        failures = 0;
        await this.prune();
      } catch (err) {
        failures++;
        const away = err instanceof TemporalAway;
        if (away) this.stats.unavailableSince ??= Date.now();
        // Once a minute at most, with the backlog, so an outage is visible but not noisy.
        if (Date.now() - this.lastWarn >= 60_000) {
          this.lastWarn = Date.now();
          const backlog = await pendingCommands(this.o.pool).catch(() => null);
          this.o.log.warn(
            { err: (err as Error).message, pending: backlog?.pending, oldestSeconds: backlog?.oldestSeconds },
            away ? 'starter: Temporal is unavailable; workflow starts wait in PostgreSQL' : 'starter: cannot read the commands; retrying',
          );
        }
        const delay = Math.min(10_000, 250 * 2 ** Math.min(failures - 1, 6));
        await this.sleep(delay * (0.8 + Math.random() * 0.2));
        continue;
      }
      // A full batch: more may be waiting. Otherwise sleep until notified (or the poll).
      if (claimed < this.o.batchSize) await this.sleep(this.o.pollMs);
    }
  }

  /** One transaction: claim, deliver, mark done. Throws TemporalAway (rolled back) when Temporal is unreachable. */
  async runBatch(): Promise<number> {
    return inTransaction(this.o.pool, async (tx) => {
      const batch = await claimCommands(tx, this.o.batchSize);
      if (batch.length === 0) return 0;
      const byCompose = new Map<number, PendingCommand[]>();
      for (const c of batch) byCompose.set(c.composeId, [...(byCompose.get(c.composeId) ?? []), c]);
      const rows = await getComposes(tx, [...byCompose.keys()]);
      const done: number[] = [];
      const delivered: number[] = []; // starts of waiting composes: done when their workflow takes them
      const deferred: Array<{ cmd: PendingCommand; error: string }> = [];
      let away: unknown = null;
      const groups = [...byCompose.values()];
      let next = 0;
      const worker = async () => {
        while (next < groups.length && !away) {
          const group = groups[next++];
          for (const cmd of group) {
            try {
              const row = rows.get(cmd.composeId) ?? null;
              await this.deliver(row, cmd);
              (cmd.command.kind === 'start' && row?.state === COMPOSE_STATES.wait ? delivered : done).push(cmd.id);
            } catch (err) {
              if (isTemporalUnavailable(err) || isDeadline(err)) {
                away = err;
                return;
              }
              this.o.log.error({ err, composeId: cmd.composeId, command: cmd.command.kind }, 'starter: delivery failed; retrying later');
              deferred.push({ cmd, error: (err as Error).message ?? String(err) });
              break; // the compose's later commands wait for this one
            }
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.o.concurrency, groups.length) }, worker));
      for (const { cmd, error } of deferred) await deferCommand(tx, cmd.id, error, Math.min(300, 5 * 2 ** Math.min(cmd.attempts, 6)));
      // What reached Temporal is marked done even when the rest must wait for it to come back.
      await markCommandsDone(tx, done);
      await markStartsDelivered(tx, delivered, START_RETRY_SECONDS);
      this.stats.delivered += done.length + delivered.length;
      this.stats.batches++;
      if (away && done.length + delivered.length === 0) throw new TemporalAway((away as Error).message ?? String(away));
      return batch.length;
    });
  }

  private async deliver(row: ComposeRecord | null, cmd: PendingCommand): Promise<void> {
    const conn = this.o.client.connection;
    await conn.withDeadline(Date.now() + this.o.deliveryTimeoutMs, () =>
      deliverCommand(this.o.client, row, cmd.command, this.o.config, this.o.settings),
    );
  }

  private async prune(): Promise<void> {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    await pruneDoneCommands(this.o.pool, KEEP_DONE_SECONDS).catch(() => undefined);
  }
}

/** A loop's sleep that a notification (or stop) cuts short; a wake-up during the work is not lost. */
class Sleeper {
  private woken = false;
  private wakeUp: (() => void) | null = null;

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async sleep(ms: number): Promise<void> {
    if (this.woken || ms <= 0) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      t.unref?.();
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = done;
    });
    this.wakeUp = null;
    this.woken = false;
  }
}

function isDeadline(err: unknown): boolean {
  const e = err as { code?: number; message?: string; cause?: unknown } | undefined;
  if (!e) return false;
  if (e.code === 4 || /DEADLINE_EXCEEDED|deadline/i.test(e.message ?? '')) return true;
  return e.cause ? isDeadline(e.cause) : false;
}
