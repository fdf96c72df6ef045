// The relay's side of the AMQP broker (worker/amqp-relay.ts): one connection with a confirm channel,
// publishing a batch and waiting for the broker's confirms, with timeouts so a hung broker counts as
// a failure. amqplib only; nothing here reads the database.
import * as amqp from 'amqplib';
import type { AmqpPublish } from '../core/amqp-message.js';
import type { Logger } from '../core/logger.js';

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The broker URL with a heartbeat, so a dead broker is noticed even when nothing is sent. */
function withHeartbeat(url: string, seconds: number): string {
  try {
    const u = new URL(url);
    if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
    return u.toString();
  } catch {
    return url;
  }
}

/** The broker URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparsable AMQP_URL>';
  }
}

export interface AmqpPublisherOptions {
  url: string;
  exchange: string;
  /** Names the connection in the broker's management UI. */
  connectionName: string;
  /** A batch not confirmed within this time counts as failed (broker hung or blocked). */
  confirmTimeoutMs: number;
  /** AMQP heartbeat, seconds (unless the URL sets one). */
  heartbeatSeconds: number;
  log: Logger;
}

/** A connection and confirm channel to the broker, opened on demand, dropped on any failure. */
export class AmqpPublisher {
  private conn: amqp.ChannelModel | null = null;
  private channel: amqp.ConfirmChannel | null = null;

  constructor(private readonly o: AmqpPublisherOptions) {}

  /** True while a channel is open (a closed connection or channel clears it). */
  get connected(): boolean {
    return this.channel !== null;
  }

  /** Publishes every message, then waits for the broker to confirm them all. */
  async publishAll(messages: AmqpPublish[]): Promise<void> {
    const channel = this.channel;
    if (!channel) throw new Error('the broker connection closed');
    for (const m of messages) {
      if (!channel.publish(this.o.exchange, m.routingKey, m.content, m.options)) {
        await withTimeout(
          new Promise<void>((resolve, reject) => {
            channel.once('drain', resolve);
            channel.once('close', () => reject(new Error('channel closed')));
          }),
          this.o.confirmTimeoutMs,
          'waiting for the channel to drain',
        );
      }
    }
    await withTimeout(channel.waitForConfirms(), this.o.confirmTimeoutMs, 'waiting for the broker to confirm');
  }

  /** Connects and opens a confirm channel on the exchange (checked, or declared when not amq.*). */
  async connect(): Promise<void> {
    const conn = await amqp.connect(withHeartbeat(this.o.url, this.o.heartbeatSeconds), {
      timeout: 10_000,
      clientProperties: { connection_name: this.o.connectionName },
    });
    conn.on('error', (err: Error) => this.o.log.debug({ err: err.message }, 'amqp relay: connection error'));
    conn.on('close', () => {
      if (this.conn === conn) {
        this.conn = null;
        this.channel = null;
      }
    });
    conn.on('blocked', (reason: string) => this.o.log.warn({ reason }, 'amqp relay: the broker blocks publishing'));
    conn.on('unblocked', () => this.o.log.info('amqp relay: the broker accepts publishing again'));
    try {
      const channel = await conn.createConfirmChannel();
      channel.on('error', (err: Error) => this.o.log.debug({ err: err.message }, 'amqp relay: channel error'));
      channel.on('close', () => {
        if (this.channel === channel) this.channel = null;
      });
      // amq.* exchanges are predeclared (declaring one is refused); others are declared as
      // fedora-messaging does by default: a durable topic exchange.
      if (this.o.exchange.startsWith('amq.')) await channel.checkExchange(this.o.exchange);
      else await channel.assertExchange(this.o.exchange, 'topic', { durable: true });
      this.conn = conn;
      this.channel = channel;
    } catch (err) {
      await withTimeout(conn.close(), 2_000, 'closing the broker connection').catch(() => undefined);
      throw err;
    }
  }

  /** Closes the connection; a hung one has its socket dropped. */
  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = null;
    this.channel = null;
    if (!conn) return;
    try {
      await withTimeout(conn.close(), 2_000, 'closing the broker connection');
    } catch {
      // A hung or half-dead connection: drop the socket.
      (conn as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
    }
  }

}
