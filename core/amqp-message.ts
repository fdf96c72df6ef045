// One outbox row as an AMQP 0-9-1 message, following fedora-messaging's wire format (its
// docs/api/wire-format.rst and fedora_messaging/message.py, base schema `base.message`), which is
// what ODCS's `messaging_backend = "fedora-messaging"` publishes: ODCS sends a base Message with
// topic `odcs.compose.<event>` and body `{"event": "state-changed", "compose": {...}}`.
//
// Everything here is a pure function of the outbox row, so a redelivery of the same row (the relay
// is at-least-once) is byte-for-byte the same message with the same message_id: consumers
// de-duplicate on it.
import { createHash } from 'node:crypto';
import type { ComposeRecord } from './compose.js';
import { composeToJson, type ComposeJsonOptions } from './compose-json.js';

export const ODCS_TOPIC = 'odcs.compose.state-changed';

/** fedora-messaging severities: DEBUG 10, INFO 20, WARNING 30, ERROR 40. ODCS's messages are INFO. */
export const SEVERITY_INFO = 20;

/** The entry point name of fedora_messaging.message:Message, the schema ODCS's messages use. */
export const BASE_SCHEMA = 'base.message';

/** The outbox row fields a message is made from (store/events.ts's ComposeEvent has them). */
export interface OutboxEvent {
  id: number;
  composeId: number;
  compose: ComposeRecord;
  createdAt: Date;
}

export interface AmqpPublish {
  routingKey: string;
  content: Buffer;
  options: {
    contentType: string;
    contentEncoding: string;
    deliveryMode: number;
    messageId: string;
    headers: Record<string, string | number>;
  };
}

/** fedora-messaging's topic_prefix: joined with one dot, a trailing dot on the prefix ignored. */
export function amqpTopic(prefix: string, topic = ODCS_TOPIC): string {
  const p = prefix.replace(/\.+$/, '');
  return p ? `${p}.${topic}` : topic;
}

/**
 * The message_id: fedora-messaging requires a version-4 UUID string. Ours has the v4 layout (version
 * nibble 4, RFC 4122 variant) but its 122 other bits come from SHA-256 of the outbox row's identity
 * instead of a random source, so every redelivery of one row carries the same id. The creation time
 * (to the millisecond) is part of the name, so that two deployments' rows with the same outbox id
 * do not share an id.
 */
export function messageIdFor(e: Pick<OutboxEvent, 'id' | 'composeId' | 'createdAt'>): string {
  const name = `odcs-flow/compose_events/${e.id}/${e.composeId}/${e.createdAt.toISOString()}`;
  const b = createHash('sha256').update(name).digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** fedora-messaging's `sent-at`: ISO 8601 in UTC, whole seconds, with the offset: 2019-07-30T19:12:22+00:00. */
export function sentAt(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/**
 * The message of one outbox row. `sent-at` is when the change was committed (the outbox row's
 * created_at): that is when the application sent it, and it keeps redeliveries identical.
 */
export function buildAmqpMessage(
  e: OutboxEvent,
  opts: { topicPrefix: string; compose: Omit<ComposeJsonOptions, 'includeConfigDump'> },
): AmqpPublish {
  const body = { event: 'state-changed', compose: composeToJson(e.compose, { ...opts.compose, includeConfigDump: false }) };
  return {
    routingKey: amqpTopic(opts.topicPrefix),
    content: Buffer.from(JSON.stringify(body), 'utf8'),
    options: {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      messageId: messageIdFor(e),
      headers: {
        fedora_messaging_schema: BASE_SCHEMA,
        // Added by fedora-messaging since mid-2024 (after 3.6.0): the Python distribution the schema
        // comes from, normalised; base.message is fedora-messaging's own.
        fedora_messaging_schema_package: 'fedora_messaging',
        fedora_messaging_severity: SEVERITY_INFO,
        'sent-at': sentAt(e.createdAt),
        // fedora-messaging (3.4.0 on) mirrors the priority property here; 0 when none is configured,
        // and then, as there, no priority property is set.
        priority: 0,
      },
    },
  };
}
