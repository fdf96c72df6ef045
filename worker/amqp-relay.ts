// The AMQP relay: delivers the message outbox (compose_events) to an AMQP 0-9-1 broker, at least
// once and in outbox id order, as fedora-messaging messages (core/amqp-message.ts).
//
// - One publisher at a time per database: the relay holds a PostgreSQL advisory lock on a dedicated
//   connection. Every worker process runs a relay; the others wait for the lock, and take over when
//   the holder's connection ends (process killed, database restarted, network gone).
// - The same connection LISTENs on `compose_events`, so a change is relayed at once; the relay also
//   polls, so a lost notification only delays a message.
// - Rows still unpublished (published_at IS NULL) are read in id order, published on a confirm
//   channel, and marked published only after the broker has confirmed all of them. Anything that
//   goes wrong (broker down, channel closed, no confirm in time) drops the broker connection and
//   starts over from the database after a backoff, so a row is never skipped; the price is that a
//   row may go out twice, with the same message_id. Rows are re-read by `published_at IS NULL`,
//   not from a cursor, so a change whose transaction commits after a later id was relayed is still
//   found (a compose's own changes always commit in id order: they lock its row).
import os from 'node:os';
import pg from 'pg';
import { listenForEvents, markPublished, tryAdvisoryLock, unpublishedEvents } from '../store/events.js';
import { buildAmqpMessage, type OutboxEvent } from '../core/amqp-message.js';
import type { ComposeJsonOptions } from '../core/compose-json.js';
import type { Logger } from '../core/logger.js';
import { AmqpPublisher, redactUrl, withTimeout } from './amqp-broker.js';

/** The advisory lock (two-int form, per database): 'odcs' and 'amqp' in ASCII. */
export const RELAY_LOCK = [0x6f646373, 0x616d7170] as const;

/** application_name of the relay's database connection (tests find the lock holder by it). */
export const RELAY_APPLICATION_NAME = 'odcs-flow-amqp-relay';

export interface AmqpRelayOptions {
  databaseUrl: string;
  /** amqp:// or amqps:// URL of the broker. */
  url: string;
  exchange: string;
  topicPrefix: string;
  compose: Omit<ComposeJsonOptions, 'includeConfigDump'>;
  log: Logger;
  /** Rows per publish round (one wait for confirms each). */
  batchSize?: number;
  /** Poll interval when idle (a notification wakes the relay sooner). */
  pollMs?: number;
  /** How often a relay without the lock tries to take it. */
  standbyMs?: number;
  /** Backoff after a failure: doubles from min to max, with jitter. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** A batch not confirmed within this time counts as failed (broker hung or blocked). */
  confirmTimeoutMs?: number;
  /** AMQP heartbeat, seconds (unless the URL sets one). */
  heartbeatSeconds?: number;
}

export interface AmqpRelayStats {
  /** True while this relay holds the lock and publishes. */
  leader: boolean;
  /** Times this relay took the lock. */
  takeovers: number;
  /** Rows published and confirmed (a row counts again if it had to be sent again). */
  published: number;
  batches: number;
  /** Broker failures (connect, publish or confirm) since start. */
  brokerFailures: number;
  lastError: string | null;
}

type Waker = { on: 'notify' | 'stop'; fn: () => void };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));




export class AmqpRelay {
  readonly stats: AmqpRelayStats = { leader: false, takeovers: 0, published: 0, batches: 0, brokerFailures: 0, lastError: null };
  private readonly o: Required<Omit<AmqpRelayOptions, 'compose' | 'log'>> & Pick<AmqpRelayOptions, 'compose' | 'log'>;
  private readonly log: Logger;
  private readonly name = `${os.hostname()}:${process.pid}`;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wakers = new Set<Waker>();
  private notified = false;
  private dbError: Error | null = null;
  private db: pg.Client | null = null;
  private readonly broker: AmqpPublisher;
  private brokerDownSince: number | null = null;

  constructor(opts: AmqpRelayOptions) {
    this.o = {
      batchSize: 100,
      pollMs: 5_000,
      standbyMs: 2_000,
      backoffMinMs: 250,
      backoffMaxMs: 10_000,
      confirmTimeoutMs: 30_000,
      heartbeatSeconds: 10,
      ...opts,
    };
    this.log = opts.log.child({ component: 'amqp-relay' });
    this.broker = new AmqpPublisher({
      url: this.o.url,
      exchange: this.o.exchange,
      connectionName: `odcs-flow relay ${this.name}`,
      confirmTimeoutMs: this.o.confirmTimeoutMs,
      heartbeatSeconds: this.o.heartbeatSeconds,
      log: this.log,
    });
  }

  /** Starts the relay in the background; it never throws and never stops by itself. */
  start(): this {
    this.loop ??= this.run().catch((err) => {
      // Not expected: run() catches everything. Logged rather than crashing the worker.
      this.log.error({ err: (err as Error).message }, 'amqp relay stopped unexpectedly');
    });
    return this;
  }

  /** Stops publishing, lets a batch in flight finish (bounded by the confirm timeout), releases the lock. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake('stop');
    await this.loop;
  }

  private wake(kind: 'notify' | 'stop'): void {
    for (const w of [...this.wakers]) if (kind === 'stop' || w.on === 'notify') w.fn();
  }

  /** Sleeps `ms`; a stop ends it early, and so do a notification or a database error when `on` is 'notify'. */
  private pause(ms: number, on: 'notify' | 'stop'): Promise<void> {
    if (this.stopped || (on === 'notify' && (this.notified || this.dbError))) return Promise.resolve();
    return new Promise((resolve) => {
      const waker: Waker = {
        on,
        fn: () => {
          clearTimeout(timer);
          this.wakers.delete(waker);
          resolve();
        },
      };
      const timer = setTimeout(waker.fn, ms);
      this.wakers.add(waker);
    });
  }

  private backoff(failures: number): number {
    const base = Math.min(this.o.backoffMaxMs, this.o.backoffMinMs * 2 ** Math.min(failures - 1, 20));
    return Math.round(base * (0.8 + Math.random() * 0.2));
  }

  private async run(): Promise<void> {
    let dbFailures = 0;
    while (!this.stopped) {
      let client: pg.Client | null = null;
      try {
        client = await this.connectDatabase();
        // Standby until the lock is ours. A dead connection fails the next query.
        let announced = false;
        while (!this.stopped) {
          if (await tryAdvisoryLock(client, RELAY_LOCK)) break;
          if (!announced) this.log.info('amqp relay: standing by, another process holds the relay lock');
          announced = true;
          dbFailures = 0;
          await this.pause(this.o.standbyMs, 'stop');
          if (this.dbError) throw this.dbError;
        }
        if (this.stopped) break;
        dbFailures = 0;
        this.stats.leader = true;
        this.stats.takeovers++;
        await listenForEvents(client);
        this.log.info({ broker: redactUrl(this.o.url), exchange: this.o.exchange }, 'amqp relay: holding the relay lock, publishing the outbox');
        await this.lead(client);
      } catch (err) {
        if (this.stopped) break;
        dbFailures++;
        const delay = this.backoff(dbFailures);
        if (dbFailures === 1 || dbFailures % 10 === 0) {
          this.log.warn({ err: (err as Error).message, retryInMs: delay }, 'amqp relay: database connection failed; retrying');
        }
        await this.closeAll(client);
        client = null;
        await this.pause(delay, 'stop');
      } finally {
        await this.closeAll(client);
      }
    }
  }

  private async closeAll(client: pg.Client | null): Promise<void> {
    this.stats.leader = false;
    await this.broker.close();
    if (client) {
      if (this.db === client) this.db = null;
      // Ending the connection releases the lock (and the LISTEN) at once.
      await withTimeout(client.end(), 5_000, 'closing the database connection').catch(() => undefined);
    }
  }

  private async connectDatabase(): Promise<pg.Client> {
    this.dbError = null;
    this.notified = false;
    const client = new pg.Client({
      connectionString: this.o.databaseUrl,
      application_name: RELAY_APPLICATION_NAME,
      connectionTimeoutMillis: 10_000,
      query_timeout: 30_000,
      keepAlive: true,
    });
    // Events of a connection given up earlier must not disturb the current one.
    this.db = client;
    client.on('error', (err) => {
      if (this.db !== client) return;
      this.dbError = err;
      this.wake('notify');
    });
    client.on('end', () => {
      if (this.db !== client) return;
      this.dbError ??= new Error('database connection ended');
      this.wake('notify');
    });
    client.on('notification', () => {
      if (this.db !== client) return;
      this.notified = true;
      this.wake('notify');
    });
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  }

  /** Publishes while this relay holds the lock; returns on stop, throws when the database connection fails. */
  private async lead(client: pg.Client): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (this.dbError) throw this.dbError;
      if (!this.broker.connected) {
        try {
          await this.broker.connect();
        } catch (err) {
          failures++;
          await this.brokerFailed(err, failures);
          continue;
        }
      }
      this.notified = false;
      const batch = await this.unpublished(client);
      if (batch.length === 0) {
        await this.pause(this.o.pollMs, 'notify');
        continue;
      }
      try {
        await this.broker.publishAll(batch.map((e) => buildAmqpMessage(e, { topicPrefix: this.o.topicPrefix, compose: this.o.compose })));
      } catch (err) {
        failures++;
        await this.brokerFailed(err, failures);
        continue;
      }
      if (this.brokerDownSince !== null) {
        this.log.info({ downForMs: Date.now() - this.brokerDownSince }, 'amqp relay: the broker confirms again; delivering the backlog');
        this.brokerDownSince = null;
      }
      failures = 0;
      this.stats.published += batch.length;
      this.stats.batches++;
      // After the broker's confirm only. If this fails (database gone), the rows go out again later.
      await markPublished(client, batch.map((e) => e.id));
    }
  }

  private async brokerFailed(err: unknown, failures: number): Promise<void> {
    const message = (err as Error)?.message ?? String(err);
    this.stats.brokerFailures++;
    this.stats.lastError = message;
    this.brokerDownSince ??= Date.now();
    await this.broker.close();
    const delay = this.backoff(failures);
    if (failures === 1 || failures % 10 === 0) {
      this.log.warn({ err: message, failures, retryInMs: delay, broker: redactUrl(this.o.url) }, 'amqp relay: broker unavailable; messages wait in the outbox');
    }
    await this.pause(delay, 'stop');
  }

  private async unpublished(client: pg.Client): Promise<OutboxEvent[]> {
    return unpublishedEvents(client, this.o.batchSize);
  }



}

/** The relay of a worker process, from its configuration; null when AMQP_URL is unset. */
export function startAmqpRelay(deps: {
  config: { databaseUrl?: string; targetDirUrl: string; amqp: { url: string; exchange: string; topicPrefix: string } | null };
  extraTargetDirNames: readonly string[];
  log: Logger;
  overrides?: Partial<AmqpRelayOptions>;
}): AmqpRelay | null {
  const { config } = deps;
  if (!config.amqp || !config.databaseUrl) return null;
  return new AmqpRelay({
    databaseUrl: config.databaseUrl,
    url: config.amqp.url,
    exchange: config.amqp.exchange,
    topicPrefix: config.amqp.topicPrefix,
    compose: { targetDirUrl: config.targetDirUrl, extraTargetDirNames: deps.extraTargetDirNames },
    log: deps.log,
    ...deps.overrides,
  }).start();
}
