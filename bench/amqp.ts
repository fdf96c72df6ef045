// Benchmark 4: message delivery through the AMQP relay (worker/amqp-relay.ts) against a bare
// publish to the same broker, in the same run.
//
// A private RabbitMQ (scripts/services/rabbitmq.ts) and a fresh, migrated test database. One
// consumer (no-ack, on its own queue bound to odcs.compose.# on amq.topic) timestamps every
// message on arrival; both sides are measured to that consumer.
//
//   throughput  relay: N state changes committed in one transaction (the outbox trigger writes N
//               rows), the relay already running and idle; from the COMMIT to the last message
//               consumed.
//               bare: the same N message bodies published by amqplib on a confirm channel, in
//               batches of the relay's size with a wait for confirms after each batch (the relay's
//               protocol without the database); from the first publish to the last consumed.
//   latency     relay: M single state changes, each its own transaction, paced at RATE per second;
//               outbox row created_at (the change) to arrival at the consumer.
//               bare: M single publishes with a wait for the confirm, same pace; publish call to
//               arrival.
//
// Env: BENCH_AMQP_EVENTS (state changes per throughput round per side, default 2000),
// BENCH_AMQP_ROUNDS (alternating throughput rounds, default 3), BENCH_AMQP_LATENCY_EVENTS
// (default 300), BENCH_AMQP_RATE (changes per second in the latency runs, default 50).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as amqp from 'amqplib';
import pg from 'pg';
import { insertCompose } from '../store/composes.js';
import { recordFromSnapshot } from '../store/events.js';
import { createPool } from '../store/pool.js';
import { buildAmqpMessage, messageIdFor, type AmqpPublish } from '../core/amqp-message.js';
import { COMPOSE_STATES } from '../core/compose.js';
import { parseNewComposeRequest } from '../core/compose-request.js';
import { createLogger } from '../core/logger.js';
import { parseSettings } from '../core/settings.js';
import { startLocalRabbitMQ } from '../scripts/services/rabbitmq.js';
import { createTestDatabase } from '../test/harness/stack.js';
import { AmqpRelay } from '../worker/amqp-relay.js';
import { envInt, heading, max, ms, progress, quantile, ratio, sleep, table } from './lib.js';

const BATCH = 100; // the relay's default batch size
const COMPOSE_JSON = { targetDirUrl: 'http://127.0.0.1:8080/composes' };

interface Arrivals {
  /** message_id -> arrival time (ms since epoch, Date.now()) */
  at: Map<string, number>;
  waitFor(ids: readonly string[], timeoutMs: number, what: string): Promise<number>;
}

async function openArrivals(conn: amqp.ChannelModel): Promise<Arrivals> {
  const ch = await conn.createChannel();
  const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  await ch.bindQueue(queue, 'amq.topic', 'odcs.compose.#');
  const at = new Map<string, number>();
  await ch.consume(queue, (msg) => msg && at.set(msg.properties.messageId, Date.now()), { noAck: true });
  return {
    at,
    async waitFor(ids, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let last = 0;
        let missing = 0;
        for (const id of ids) {
          const t = at.get(id);
          if (t === undefined) missing++;
          else if (t > last) last = t;
        }
        if (missing === 0) return last;
        if (Date.now() > deadline) throw new Error(`${what}: ${missing} of ${ids.length} messages not consumed after ${timeoutMs} ms`);
        await sleep(5);
      }
    },
  };
}

async function outboxRows(db: pg.Pool, afterId: number) {
  const { rows } = await db.query('SELECT id, compose_id, snapshot, created_at FROM compose_events WHERE id > $1 ORDER BY id', [afterId]);
  return rows.map((r) => ({ id: Number(r.id), composeId: Number(r.compose_id), compose: recordFromSnapshot(r.snapshot), createdAt: r.created_at as Date }));
}

async function maxEventId(db: pg.Pool): Promise<number> {
  const { rows } = await db.query('SELECT coalesce(max(id), 0)::bigint AS id FROM compose_events');
  return Number(rows[0].id);
}

/** The bare side: the same bodies and properties, fresh message ids, batches of BATCH with a wait for confirms. */
async function barePublishBatches(ch: amqp.ConfirmChannel, messages: AmqpPublish[]): Promise<void> {
  for (let i = 0; i < messages.length; i += BATCH) {
    for (const m of messages.slice(i, i + BATCH)) {
      if (!ch.publish('amq.topic', m.routingKey, m.content, m.options)) await new Promise((r) => ch.once('drain', r));
    }
    await ch.waitForConfirms();
  }
}

const withFreshId = (m: AmqpPublish): AmqpPublish => ({ ...m, options: { ...m.options, messageId: randomUUID() } });

export async function runAmqpBench(opts: { tmp: string }): Promise<void> {
  const n = envInt('BENCH_AMQP_EVENTS', 2000);
  const rounds = envInt('BENCH_AMQP_ROUNDS', 3);
  const latencyEvents = envInt('BENCH_AMQP_LATENCY_EVENTS', 300);
  const rate = envInt('BENCH_AMQP_RATE', 50);

  progress('amqp: starting a private RabbitMQ');
  const rabbitDir = path.join(opts.tmp, 'rabbitmq');
  fs.mkdirSync(rabbitDir, { recursive: true });
  const rabbit = await startLocalRabbitMQ({ dir: rabbitDir });
  const database = await createTestDatabase();
  const db = createPool(database.url, 4);
  const conn = await amqp.connect(rabbit.url);
  const relayLog = createLogger('bench-amqp-relay', 'warn');
  let relay: AmqpRelay | null = null;
  const thr = { relay: { n: 0, ms: 0 }, bare: { n: 0, ms: 0 } };
  const lat = { relay: [] as number[], bare: [] as number[] };
  try {
    const arrivals = await openArrivals(conn);
    const bare = await conn.createConfirmChannel();

    // n compose rows to change: one inserted through the app's own code, the rest copies of it.
    progress(`amqp: creating ${n} compose rows`);
    const settings = parseSettings({ tags: { bench: { repos: ['/nonexistent'] } } });
    const { seconds_to_live, ...input } = parseNewComposeRequest({ source: { type: 'tag', source: 'bench', packages: ['p'] } }, settings);
    const first = await insertCompose(db, input, 'bench', seconds_to_live);
    const { rows: cols } = await db.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'composes' AND column_name <> 'id' AND is_generated = 'NEVER'`,
    );
    const list = cols.map((c) => `"${c.column_name}"`).join(', ');
    await db.query(`INSERT INTO composes (${list}) SELECT ${list} FROM composes, generate_series(2, $2) WHERE id = $1`, [first.id, n]);
    const { rows: idRows } = await db.query('SELECT id FROM composes ORDER BY id');
    const composeIds = idRows.map((r) => Number(r.id));

    relay = new AmqpRelay({ databaseUrl: database.url, url: rabbit.url, exchange: 'amq.topic', topicPrefix: '', compose: COMPOSE_JSON, log: relayLog }).start();
    // The creations are messages too: let the relay deliver them before timing anything.
    const created = (await outboxRows(db, 0)).map(messageIdFor);
    await arrivals.waitFor(created, 120_000, 'amqp: creation messages');
    progress(`amqp: relay warmed up (${created.length} creation messages delivered)`);

    let state: number = COMPOSE_STATES.generating;
    let lastRelayRows: Awaited<ReturnType<typeof outboxRows>> = [];
    for (let r = 0; r < rounds; r++) {
      const sides = r % 2 === 0 ? (['relay', 'bare'] as const) : (['bare', 'relay'] as const);
      for (const side of sides) {
        if (side === 'relay') {
          const before = await maxEventId(db);
          state = state === COMPOSE_STATES.generating ? COMPOSE_STATES.done : COMPOSE_STATES.generating;
          // One transaction: n changes become visible to the relay at once.
          await db.query('UPDATE composes SET state = $1 WHERE id = ANY($2::bigint[])', [state, composeIds]);
          const t0 = Date.now();
          const rows = await outboxRows(db, before);
          if (rows.length !== n) throw new Error(`expected ${n} outbox rows, found ${rows.length}`);
          lastRelayRows = rows;
          const last = await arrivals.waitFor(rows.map(messageIdFor), 300_000, 'amqp: relay throughput');
          thr.relay.n += n;
          thr.relay.ms += last - t0;
        } else {
          // The bodies of the latest relay round (round 1 starts with the relay), built before timing.
          const messages = lastRelayRows.map((e) => withFreshId(buildAmqpMessage(e, { topicPrefix: '', compose: COMPOSE_JSON })));
          const t0 = Date.now();
          await barePublishBatches(bare, messages);
          const last = await arrivals.waitFor(messages.map((m) => m.options.messageId), 300_000, 'amqp: bare throughput');
          thr.bare.n += n;
          thr.bare.ms += last - t0;
        }
      }
      progress(`amqp: throughput round ${r + 1}/${rounds} (${n} messages per side) done`);
    }

    // Latency at a steady pace, in alternating rounds (relay first, then bare first, ...) so that
    // neither side always runs on a warmer or a more tired machine.
    const perRound = Math.max(1, Math.ceil(latencyEvents / rounds));
    const gap = 1000 / rate;
    const sample = buildAmqpMessage(lastRelayRows[0], { topicPrefix: '', compose: COMPOSE_JSON });
    const relayLatency = async (count: number) => {
      const before = await maxEventId(db);
      for (let i = 0; i < count; i++) {
        const t = Date.now();
        await db.query('UPDATE composes SET state = CASE WHEN state = 1 THEN 2 ELSE 1 END WHERE id = $1', [composeIds[i % composeIds.length]]);
        await sleep(Math.max(0, gap - (Date.now() - t)));
      }
      const rows = await outboxRows(db, before);
      await arrivals.waitFor(rows.map(messageIdFor), 60_000, 'amqp: relay latency');
      for (const e of rows) lat.relay.push(arrivals.at.get(messageIdFor(e))! - e.createdAt.getTime());
    };
    const bareLatency = async (count: number) => {
      const sent = new Map<string, number>();
      for (let i = 0; i < count; i++) {
        const t = Date.now();
        const m = withFreshId(sample);
        sent.set(m.options.messageId, t);
        bare.publish('amq.topic', m.routingKey, m.content, m.options);
        await bare.waitForConfirms();
        await sleep(Math.max(0, gap - (Date.now() - t)));
      }
      await arrivals.waitFor([...sent.keys()], 60_000, 'amqp: bare latency');
      for (const [id, t] of sent) lat.bare.push(arrivals.at.get(id)! - t);
    };
    progress(`amqp: latency, ${perRound * rounds} changes at ${rate}/s per side in ${rounds} alternating rounds`);
    for (let r = 0; r < rounds; r++) {
      const sides = r % 2 === 0 ? ([relayLatency, bareLatency] as const) : ([bareLatency, relayLatency] as const);
      for (const run of sides) await run(perRound);
    }
  } finally {
    await relay?.stop();
    await conn.close().catch(() => undefined);
    await db.end();
    await database.drop();
    await rabbit.stop();
  }

  const relayRate = (thr.relay.n / thr.relay.ms) * 1000;
  const bareRate = (thr.bare.n / thr.bare.ms) * 1000;
  heading(`amqp: outbox -> relay -> RabbitMQ -> consumer vs bare amqplib publish with confirms (same broker, same consumer)`);
  table([
    ['path', 'msg/s', 'messages', `latency p50 (${rate}/s)`, 'p95', 'max'],
    ['relay: state change -> consumer', relayRate.toFixed(0), String(thr.relay.n), ms(quantile(lat.relay, 0.5)), ms(quantile(lat.relay, 0.95)), ms(max(lat.relay))],
    ['bare: publish + confirms -> consumer', bareRate.toFixed(0), String(thr.bare.n), ms(quantile(lat.bare, 0.5)), ms(quantile(lat.bare, 0.95)), ms(max(lat.bare))],
  ]);
  console.log(`  throughput ratio relay/bare = ${ratio(relayRate, bareRate)}  (1.00x = the outbox, its queries and JSON cost nothing over publishing)`);
  console.log(`  latency ratio relay/bare: p50 ${ratio(quantile(lat.relay, 0.5), quantile(lat.bare, 0.5))}, p95 ${ratio(quantile(lat.relay, 0.95), quantile(lat.bare, 0.95))}`);
  console.log(
    `  throughput: ${rounds} alternating rounds of ${n} per side, batches of ${BATCH} with a wait for confirms (relay: one UPDATE of ${n} rows, timed from its COMMIT);` +
      ` latency: ${rounds} alternating rounds per side, relay from the outbox row's created_at, bare from the publish call.`,
  );
}
