// One LISTEN connection per API process (each process of an API cluster LISTENs itself), fanned
// out to every open events stream. Streams also poll, so a lost connection or notification only
// delays an event, never loses it. Closing it ends the streams (a draining process lets go of them).
import pg from 'pg';
import { listenForEvents } from '../store/events.js';
import type { Logger } from '../core/logger.js';

export class EventNotifier {
  private readonly waiters = new Set<() => void>();
  private client: pg.Client | null = null;
  private stopped = false;
  private connecting: Promise<void> | null = null;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
  ) {}

  /** True once the process is shutting down: open streams end, their clients resume elsewhere. */
  get closed(): boolean {
    return this.stopped;
  }

  /** Resolves true at the next notification, or false after `ms`, whichever is first. */
  wait(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    this.ensureListening();
    return new Promise((resolve) => {
      const done = (notified: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(notified);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.waiters.add(wake);
    });
  }

  private wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }

  private ensureListening(): void {
    if (this.client || this.connecting || this.stopped) return;
    this.connecting = (async () => {
      const client = new pg.Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5_000 });
      client.on('notification', () => this.wakeAll());
      client.on('error', () => undefined);
      client.on('end', () => {
        if (this.client === client) this.client = null;
      });
      try {
        await client.connect();
        await listenForEvents(client);
        this.client = client;
      } catch (err) {
        this.log.debug({ err: (err as Error).message }, 'events: LISTEN failed, polling');
        await client.end().catch(() => undefined);
      } finally {
        this.connecting = null;
      }
    })();
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.wakeAll();
    await this.client?.end().catch(() => undefined);
  }
}
