// The AMQP relay against a real RabbitMQ (Debian's rabbitmq-server, started privately by the test):
// every outbox row reaches a fedora-messaging-style consumer, in order per compose, with
// fedora-messaging's properties and headers; a broker killed in the middle of the traffic loses
// nothing and shows as compose_events_backlog meanwhile; AMQP_EXCHANGE and AMQP_TOPIC_PREFIX are
// honoured; only one relay publishes at a time, and another takes over when it goes.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as amqp from 'amqplib';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { rabbitmqServerPath, startLocalRabbitMQ, type LocalRabbitMQ } from '../../scripts/services/rabbitmq.js';
import { messageIdFor, ODCS_TOPIC } from '../../core/amqp-message.js';
import { createLogger } from '../../core/logger.js';
import { AmqpRelay, RELAY_APPLICATION_NAME, RELAY_LOCK, type AmqpRelayOptions } from '../../worker/amqp-relay.js';
import { openConsumer, type ReceivedMessage, type TestConsumer } from '../harness/amqp-consumer.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

const missingBroker = rabbitmqServerPath() ? null : 'rabbitmq-server is not installed (node scripts/bootstrap.mjs installs it)';

let stack: Stack;
let rabbit: LocalRabbitMQ;
let consumer: TestConsumer;
const relays: AmqpRelay[] = [];

before(async () => {
  // Never skipped: the bootstrap installs the broker, so its absence is a broken build.
  if (missingBroker) throw new Error(missingBroker);
  const repos = testTmpDir('repos');
  await buildRepo(path.join(repos, 'r'), [{ name: 'one' }, { name: 'two', requires: ['one'] }]);
  rabbit = await startLocalRabbitMQ({ dir: testTmpDir('rabbitmq') });
  stack = await startStack({ env: { REPO_ROOTS: repos }, settings: { tags: { t: { repos: [path.join(repos, 'r')] } } } });
  // Bound before anything is published: a topic exchange drops what no queue is bound for.
  consumer = await openConsumer(rabbit.url, 'odcs.compose.#');
});

after(async () => {
  await Promise.allSettled(relays.map((r) => r.stop()));
  await consumer?.close();
  await stack?.stop();
  await rabbit?.stop();
});

function startRelay(overrides: Partial<AmqpRelayOptions> = {}): AmqpRelay {
  const relay = new AmqpRelay({
    databaseUrl: stack.env.DATABASE_URL,
    url: rabbit.url,
    exchange: 'amq.topic',
    topicPrefix: '',
    compose: { targetDirUrl: stack.config.targetDirUrl, extraTargetDirNames: Object.keys(stack.settings.extra_target_dirs) },
    log: createLogger('amqp-relay-test', process.env.LOG_LEVEL ?? 'warn'),
    // Quicker than production so that the test does not wait on timers.
    standbyMs: 300,
    backoffMinMs: 100,
    backoffMaxMs: 1_000,
    pollMs: 1_000,
    ...overrides,
  }).start();
  relays.push(relay);
  return relay;
}

async function exchangeExists(name: string): Promise<boolean> {
  const conn = await amqp.connect(rabbit.url);
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    await ch.checkExchange(name);
    return true;
  } catch {
    return false;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** compose_events_backlog as the API's metrics endpoint reports it. */
async function backlogMetric(): Promise<number> {
  const res = await http(stack, 'GET', '/api/1/metrics/');
  assert.equal(res.status, 200);
  const m = /^compose_events_backlog (\d+)$/m.exec(res.text);
  assert.ok(m, 'compose_events_backlog is exported');
  return Number(m[1]);
}

async function until(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface OutboxRow {
  id: number;
  composeId: number;
  state: number;
  createdAt: Date;
  publishedAt: Date | null;
  messageId: string;
}

async function outbox(composeIds: number[]): Promise<OutboxRow[]> {
  const { rows } = await stack.pool.query(
    'SELECT id, compose_id, state, created_at, published_at FROM compose_events WHERE compose_id = ANY($1::bigint[]) ORDER BY id',
    [composeIds],
  );
  return rows.map((r) => {
    const row = { id: Number(r.id), composeId: Number(r.compose_id), state: r.state, createdAt: r.created_at, publishedAt: r.published_at };
    return { ...row, messageId: messageIdFor(row) };
  });
}

const ofComposes = (messages: ReceivedMessage[], ids: number[]) => messages.filter((m) => ids.includes(m.body?.compose?.id));

/** Every outbox row's message was consumed; returns the consumption counts per message id. */
function counts(messages: ReceivedMessage[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const m of messages) n.set(m.messageId, (n.get(m.messageId) ?? 0) + 1);
  return n;
}

/** Per compose, the first deliveries of its messages come in outbox order. */
function assertOrderPerCompose(rows: OutboxRow[], messages: ReceivedMessage[]): void {
  const firstSeen = new Map<string, number>();
  messages.forEach((m, i) => firstSeen.has(m.messageId) || firstSeen.set(m.messageId, i));
  const byCompose = new Map<number, OutboxRow[]>();
  for (const r of rows) byCompose.set(r.composeId, [...(byCompose.get(r.composeId) ?? []), r]);
  for (const [composeId, list] of byCompose) {
    const positions = list.map((r) => firstSeen.get(r.messageId));
    assert.ok(positions.every((p) => p !== undefined), `compose ${composeId}: every message consumed`);
    assert.deepEqual(positions, [...positions].sort((a, b) => a! - b!), `compose ${composeId}: messages in outbox order`);
  }
}

async function lockHolder(): Promise<number | null> {
  const { rows } = await stack.pool.query(
    `SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2 AND d.datname = current_database()`,
    [...RELAY_LOCK],
  );
  return rows[0]?.pid ?? null;
}

async function relayConnections(): Promise<number> {
  const { rows } = await stack.pool.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()', [
    RELAY_APPLICATION_NAME,
  ]);
  return rows[0].n;
}

async function createComposes(n: number, opts: { spacingMs?: number } = {}): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await http(stack, 'POST', '/api/1/composes/', {
      source: { type: 'tag', source: 't', packages: [i % 5 === 4 ? 'nope' : 'one'] },
      flags: ['no_reuse'],
    });
    assert.equal(res.status, 200, res.text);
    ids.push(res.body.id);
    if (opts.spacingMs) await new Promise((r) => setTimeout(r, opts.spacingMs));
  }
  return ids;
}

test('a consumer on odcs.compose.# gets every state change of a compose, in order, as fedora-messaging sends it', async () => {
  const relay = startRelay();
  await until(() => relay.stats.leader, 10_000, 'the relay to take the lock');
  const created = (await http(stack, 'POST', '/api/1/composes/', { source: { type: 'tag', source: 't', packages: ['two'] }, seconds_to_live: 2 })).body;
  const mine = () => ofComposes(consumer.messages, [created.id]);
  await consumer.until(() => mine().some((m) => m.body.compose.state_name === 'removed'), 90_000, `compose ${created.id} removed`);
  const messages = mine();
  assert.deepEqual(
    messages.map((m) => m.body.compose.state_name),
    ['wait', 'generating', 'done', 'removed'],
  );
  const rows = await outbox([created.id]);
  assert.deepEqual(messages.map((m) => m.messageId), rows.map((r) => r.messageId), 'one message per outbox row, in order');
  for (const [i, m] of messages.entries()) {
    assert.equal(m.exchange, 'amq.topic');
    assert.equal(m.routingKey, ODCS_TOPIC);
    assert.equal(m.routingKey, 'odcs.compose.state-changed');
    assert.equal(m.properties.contentType, 'application/json');
    assert.equal(m.properties.contentEncoding, 'utf-8');
    assert.equal(m.properties.deliveryMode, 2);
    assert.match(m.messageId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a version-4-layout UUID');
    assert.equal(m.headers.fedora_messaging_schema, 'base.message');
    assert.equal(m.headers.fedora_messaging_severity, 20);
    assert.equal(m.headers.priority, 0);
    assert.match(String(m.headers['sent-at']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    assert.equal(m.headers['sent-at'], rows[i].createdAt.toISOString().replace(/\.\d{3}Z$/, '+00:00'), 'sent-at is the time of the change');
    assert.deepEqual(Object.keys(m.body), ['event', 'compose']);
    assert.equal(m.body.event, 'state-changed');
    assert.equal(m.body.compose.id, created.id);
  }
  // The last message's compose is the compose JSON of the API (which adds only pungi_config_dump).
  const { pungi_config_dump: _dump, ...fromApi } = (await http(stack, 'GET', `/api/1/composes/${created.id}`)).body;
  assert.deepEqual(messages.at(-1)!.body.compose, fromApi);
  const done = messages.find((m) => m.body.compose.state_name === 'done')!;
  assert.equal(done.body.compose.state_reason, 'Compose is generated successfully');
  assert.match(done.body.compose.result_repofile, /odcs-\d+\.repo$/);
  await until(async () => (await outbox([created.id])).every((r) => r.publishedAt !== null), 10_000, 'published_at on every row');
});

test('the broker killed during 50+ state changes and started again loses none, in order per compose', async (t) => {
  const relay = relays[0] ?? startRelay();
  await until(() => relay.stats.leader, 10_000, 'the relay to hold the lock');
  const failuresBefore = relay.stats.brokerFailures;
  const ids: number[] = [];
  // 17 composes, each wait -> generating -> done|failed: 51 state changes.
  const creating = (async () => {
    for (let i = 0; i < 17; i++) ids.push(...(await createComposes(1, { spacingMs: 150 })));
  })();
  await consumer.until((ms) => ofComposes(ms, ids).length >= 10, 90_000, 'the first 10 messages');
  await rabbit.kill();
  const consumedAtKill = ofComposes(consumer.messages, ids).length;
  await creating;
  for (const id of ids) await waitForState(stack, id, ['done', 'failed'], 120_000);
  const rowsDown = await outbox(ids);
  const backlog = rowsDown.filter((r) => r.publishedAt === null).length;
  assert.ok(rowsDown.length >= 50, `${rowsDown.length} state changes`);
  assert.ok(backlog > 0, 'changes made while the broker was down wait in the outbox');
  assert.ok((await backlogMetric()) >= backlog, 'the backlog shows in the metrics while the broker is down');
  await until(() => relay.stats.brokerFailures > failuresBefore, 15_000, 'the relay to notice the broker is gone');
  await new Promise((r) => setTimeout(r, 1_000)); // a few retries against the dead broker
  assert.ok(relay.stats.leader, 'the relay keeps the lock and keeps trying');

  await rabbit.start();
  await consumer.until(
    (ms) => {
      const seen = new Set(ofComposes(ms, ids).map((m) => m.messageId));
      return rowsDown.every((r) => seen.has(r.messageId));
    },
    90_000,
    'every outbox row after the restart',
  );
  await until(async () => (await outbox(ids)).every((r) => r.publishedAt !== null), 15_000, 'published_at on every row');
  assert.equal(await backlogMetric(), 0, 'the backlog drains');
  const rows = await outbox(ids);
  const messages = ofComposes(consumer.messages, ids);
  const n = counts(messages);
  const outboxIds = new Set(rows.map((r) => r.messageId));
  assert.equal(rows.length, rowsDown.length, 'no new rows since');
  assert.ok([...n.keys()].every((id) => outboxIds.has(id)), 'nothing consumed that is not in the outbox');
  assert.equal(n.size, rows.length, 'every outbox row consumed');
  assertOrderPerCompose(rows, messages);
  const duplicates = messages.length - n.size;
  // A duplicate is either the broker redelivering to the consumer a message whose ack the kill lost
  // (flag redelivered), or the relay publishing again a message whose confirm the kill lost.
  const redelivered = messages.filter((m) => m.redelivered).length;
  t.diagnostic(
    `outbox rows ${rows.length}, consumed ${messages.length} (${n.size} distinct, ${duplicates} duplicates, ${redelivered} flagged redelivered), ` +
      `consumed before the kill ${consumedAtKill}, waiting in the outbox while down ${backlog}, ` +
      `relay broker failures ${relay.stats.brokerFailures - failuresBefore}`,
  );
});

test('AMQP_EXCHANGE and AMQP_TOPIC_PREFIX: a custom exchange is declared and the topic carries the prefix', async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
  const exchange = 'odcs-test-exchange';
  const relay = startRelay({ exchange, topicPrefix: 'org.example.prod.' });
  await until(() => relay.stats.leader, 10_000, 'the relay to take the lock');
  // The relay declares its exchange (a durable topic exchange) on connecting; bind once it exists.
  await until(() => exchangeExists(exchange), 15_000, 'the relay to declare the exchange');
  const custom = await openConsumer(rabbit.url, 'org.example.prod.odcs.compose.#', exchange);
  try {
    const [id] = await createComposes(1);
    await waitForState(stack, id, ['done', 'failed']);
    const rows = await outbox([id]);
    await custom.until((ms) => ofComposes(ms, [id]).length === rows.length, 30_000, 'the messages on the custom exchange');
    for (const m of ofComposes(custom.messages, [id])) {
      assert.equal(m.exchange, exchange);
      assert.equal(m.routingKey, 'org.example.prod.odcs.compose.state-changed');
    }
    assert.deepEqual(ofComposes(consumer.messages, [id]), [], 'nothing on amq.topic');
  } finally {
    await custom.close();
    await Promise.all(relays.splice(0).map((r) => r.stop()));
  }
});

test('a second relay stands by while the first holds the lock, and takes over when its connection dies', async () => {
  const a = relays[0] ?? startRelay();
  await until(() => a.stats.leader, 10_000, 'relay A to hold the lock');
  const b = startRelay();
  await until(async () => (await relayConnections()) === 2, 10_000, 'both relays connected');
  await new Promise((r) => setTimeout(r, 1_000)); // several of B's attempts at the lock
  assert.equal(b.stats.leader, false, 'B stands by');
  const [aBefore, bBefore] = [a.stats.published, b.stats.published];

  const first = await createComposes(3);
  for (const id of first) await waitForState(stack, id, ['done', 'failed']);
  const rows1 = await outbox(first);
  await consumer.until((ms) => counts(ofComposes(ms, first)).size === rows1.length, 30_000, 'the first composes');
  await until(async () => (await outbox(first)).every((r) => r.publishedAt !== null), 10_000, 'published_at');
  assert.equal(b.stats.published, bBefore, 'B published nothing');
  assert.equal(a.stats.published - aBefore, rows1.length, 'A published each row once');
  assert.ok([...counts(ofComposes(consumer.messages, first)).values()].every((c) => c === 1), 'no message twice');

  // A's database connection dies (as when its process is killed): the lock goes with it.
  const holder = await lockHolder();
  assert.ok(holder);
  await stack.pool.query('SELECT pg_terminate_backend($1)', [holder]);
  await until(async () => {
    const h = await lockHolder();
    return h !== null && h !== holder && a.stats.leader !== b.stats.leader;
  }, 15_000, 'a relay to take the lock again');
  const [a2, b2] = [a.stats.published, b.stats.published];
  const second = await createComposes(3);
  for (const id of second) await waitForState(stack, id, ['done', 'failed']);
  const rows2 = await outbox(second);
  await consumer.until((ms) => counts(ofComposes(ms, second)).size === rows2.length, 30_000, 'the second composes');
  await until(async () => (await outbox(second)).every((r) => r.publishedAt !== null), 10_000, 'published_at');
  assert.equal(a.stats.published - a2 + (b.stats.published - b2), rows2.length, 'each row published once, by one relay');
  assert.ok([...counts(ofComposes(consumer.messages, second)).values()].every((c) => c === 1), 'no message twice');
  assert.ok(a.stats.leader !== b.stats.leader, 'exactly one relay leads');
  assertOrderPerCompose([...rows1, ...rows2], consumer.messages);
});

test('worker processes with AMQP_URL: one relays, and when it is killed (SIGKILL) another takes over', { timeout: 180_000 }, async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
  await until(async () => (await relayConnections()) === 0, 10_000, 'in-process relays gone');
  const env = { AMQP_URL: rabbit.url };
  const w1: ChildProcess = stack.spawnWorker(env);
  await until(async () => (await lockHolder()) !== null, 60_000, 'worker 1 to take the relay lock');
  const holder1 = await lockHolder();
  const w2: ChildProcess = stack.spawnWorker(env);
  await until(async () => (await relayConnections()) === 2, 60_000, 'worker 2 relay standing by');

  const first = await createComposes(2);
  for (const id of first) await waitForState(stack, id, ['done', 'failed']);
  const rows1 = await outbox(first);
  await consumer.until((ms) => counts(ofComposes(ms, first)).size === rows1.length, 30_000, 'messages through worker 1');
  assert.equal(await lockHolder(), holder1, 'worker 1 still holds the lock');

  w1.kill('SIGKILL');
  await until(async () => {
    const h = await lockHolder();
    return h !== null && h !== holder1;
  }, 30_000, 'worker 2 to take over');
  const second = await createComposes(2);
  for (const id of second) await waitForState(stack, id, ['done', 'failed']);
  const rows2 = await outbox(second);
  await consumer.until((ms) => counts(ofComposes(ms, second)).size === rows2.length, 30_000, 'messages through worker 2');
  // Worker 1 may die between the broker's confirm and its UPDATE of published_at: worker 2 then sends
  // those rows again. At least once is the promise; what came after the takeover comes once.
  const n1 = counts(ofComposes(consumer.messages, first));
  const n2 = counts(ofComposes(consumer.messages, second));
  assert.deepEqual(rows1.filter((r) => !n1.has(r.messageId)), [], 'nothing lost: every outbox row of the first composes consumed');
  assert.deepEqual(rows2.map((r) => n2.get(r.messageId) ?? 0), rows2.map(() => 1), 'each row after the takeover consumed exactly once');
  assert.equal(n2.size, rows2.length, 'nothing consumed that is not in the outbox');
  assertOrderPerCompose([...rows1, ...rows2], consumer.messages);
  assert.equal(w2.exitCode, null, 'worker 2 runs on');
  // A graceful stop stops the relay too: the process exits by itself, releasing the lock.
  const exited = new Promise<number | null>((r) => (w2.exitCode !== null ? r(w2.exitCode) : w2.once('exit', (code) => r(code))));
  w2.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 60_000)))]);
  clearTimeout(timer);
  assert.equal(code, 0, 'worker 2 exits cleanly on SIGTERM');
  await until(async () => (await lockHolder()) === null, 10_000, 'the lock released');
});
