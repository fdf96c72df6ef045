// A test subscriber to a RabbitMQ broker, as a fedora-messaging consumer would be: a durable queue
// bound to a topic pattern on amq.topic, manual acks. It survives the broker being killed and
// started again (it reconnects, and the durable queue keeps what was confirmed to the publisher).
import { randomBytes } from 'node:crypto';
import * as amqp from 'amqplib';

export interface ReceivedMessage {
  exchange: string;
  routingKey: string;
  messageId: string;
  properties: amqp.MessageProperties;
  headers: Record<string, unknown>;
  body: any;
  redelivered: boolean;
  receivedAt: number;
}

export interface TestConsumer {
  queue: string;
  messages: ReceivedMessage[];
  /** Resolves when `pred(messages)` holds; rejects after `timeoutMs`. */
  until(pred: (messages: ReceivedMessage[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

export async function openConsumer(url: string, pattern: string, exchange = 'amq.topic'): Promise<TestConsumer> {
  const queue = `odcs-test-${randomBytes(4).toString('hex')}`;
  const messages: ReceivedMessage[] = [];
  let conn: amqp.ChannelModel | null = null;
  let closed = false;

  const connect = async () => {
    const c = await amqp.connect(url, { timeout: 5_000 });
    c.on('error', () => undefined);
    const ch = await c.createChannel();
    ch.on('error', () => undefined);
    await ch.assertQueue(queue, { durable: true, autoDelete: false, exclusive: false });
    await ch.bindQueue(queue, exchange, pattern);
    await ch.prefetch(200);
    await ch.consume(queue, (msg) => {
      if (!msg) return;
      messages.push({
        exchange: msg.fields.exchange,
        routingKey: msg.fields.routingKey,
        messageId: msg.properties.messageId,
        properties: msg.properties,
        headers: (msg.properties.headers ?? {}) as Record<string, unknown>,
        body: JSON.parse(msg.content.toString('utf8')),
        redelivered: msg.fields.redelivered,
        receivedAt: Date.now(),
      });
      ch.ack(msg);
    });
    c.on('close', () => {
      if (conn === c) conn = null;
      if (!closed) void reconnect();
    });
    conn = c;
  };
  let reconnecting: Promise<void> | null = null;
  const reconnect = () =>
    (reconnecting ??= (async () => {
      while (!closed && !conn) {
        try {
          await connect();
        } catch {
          await new Promise((r) => setTimeout(r, 300));
        }
      }
      reconnecting = null;
    })());

  await connect();
  return {
    queue,
    messages,
    async until(pred, timeoutMs = 60_000, what = 'messages') {
      const deadline = Date.now() + timeoutMs;
      while (!pred(messages)) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${messages.length} messages`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      closed = true;
      const c = conn;
      conn = null;
      if (c) {
        try {
          const ch = await c.createChannel();
          await ch.deleteQueue(queue);
        } catch {
          /* broker gone */
        }
        await c.close().catch(() => undefined);
      }
    },
  };
}
