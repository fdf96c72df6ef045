// `npm start` heals itself under load: while 50 composes are submitted, the worker, the API, the
// Temporal dev server and PostgreSQL are each killed with SIGKILL, then Temporal and PostgreSQL are
// frozen (SIGSTOP) for 100 s. Nobody intervenes; every compose must end as asked, once, on time,
// with every state change in the events stream.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { COMPOSE_STATES, STATE_NAMES } from '../../core/compose.js';
import { temporalCliPath } from '../../scripts/lib/tools.mjs';
import { NpmStart, type Supervised } from './npm-start-harness.js';

const SUBMISSIONS = 50;
const SHORT_LIFETIME = 60; // seconds: these composes must be removed on time, outages or not
const FREEZE_MS = 100_000;
const RECOVERY_MS = 60_000; // the stack is ready, and nothing is stuck, this long after a fault at most

let stack: NpmStart;
let run: Supervised;

interface Outage {
  what: string;
  from: number;
  to: number;
}
const outages: Outage[] = [];
const accepted = new Map<number, { short: boolean }>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(what: string, timeoutMs: number, fn: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000} s: ${what}`);
    await sleep(500);
  }
}

/** A short-lived client per query, so that a frozen or killed server never holds the test. */
async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: stack.databaseUrl, connectionTimeoutMillis: 3_000, query_timeout: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const ready = async () => (await fetch(`${stack.base}/readyz`, { signal: AbortSignal.timeout(5_000) })).status === 200;

/** Submits SUBMISSIONS composes, one every 2 s, retrying while the API or a dependency is away. */
async function submitAll(): Promise<void> {
  const requests = [['odcs-demo-app'], ['odcs-demo-lib'], ['odcs-demo-tools'], ['odcs-demo-data'], ['odcs-demo-app', 'odcs-demo-tools']];
  for (let i = 0; accepted.size < SUBMISSIONS; ) {
    // Short-lived composes are never reused nor reuse (no_reuse is compared exactly), so their
    // lifetime is theirs alone; every third one also generates its own tree.
    const short = i % 5 === 4;
    const body = {
      source: { type: 'tag', source: 'demo', packages: requests[i % requests.length] },
      ...(short || i % 3 === 0 ? { flags: ['no_reuse'] } : {}),
      seconds_to_live: short ? SHORT_LIFETIME : 3600,
    };
    try {
      const res = await fetch(`${stack.base}/api/1/composes/`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
      const json = (await res.json()) as { id?: number };
      if (res.status === 200 && json.id) {
        accepted.set(json.id, { short });
        i++;
      } else {
        assert.equal(res.status, 503, `a refused submission is a 503 naming what is away: ${JSON.stringify(json)}`);
      }
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      // the API is away (killed) or the request timed out: try again
    }
    await sleep(2_000);
  }
}

before(async () => {
  stack = await NpmStart.create('self-healing');
  run = stack.start();
  await run.ready;
});

after(async () => {
  await stack.stopAll();
});

async function killAndHeal(component: 'worker' | 'api' | 'temporal' | 'postgres'): Promise<void> {
  const pid = stack.pidOf(component);
  const mark = run.output().length;
  const from = Date.now();
  process.kill(pid, 'SIGKILL');
  await eventually(`${component} is restarted and the stack is ready after SIGKILL`, RECOVERY_MS, async () => {
    return new RegExp(`${component} is back`).test(run.output().slice(mark)) && (await ready());
  });
  outages.push({ what: `${component} killed`, from, to: Date.now() });
  assert.match(run.output().slice(mark), new RegExp(`${component} died \\(signal SIGKILL\\) at [\\d:]+; restarting it`));
  assert.notEqual(stack.pidOf(component), pid, `${component} runs as a new process`);
}

/** Freezes processes for FREEZE_MS, then asserts that nothing made before the thaw stays in wait or generating. */
async function freezeAndThaw(what: string, pids: () => number[]): Promise<void> {
  const frozen = pids();
  assert.ok(frozen.length > 0);
  const from = Date.now();
  for (const pid of frozen) process.kill(pid, 'SIGSTOP');
  try {
    await sleep(FREEZE_MS);
  } finally {
    for (const pid of frozen) process.kill(pid, 'SIGCONT');
  }
  const thawed = Date.now();
  outages.push({ what: `${what} frozen`, from, to: thawed });
  const [{ max }] = await eventually('PostgreSQL answers', RECOVERY_MS, async () => (await query('SELECT 1'), true)).then(() =>
    query<{ max: number | null }>('SELECT max(id) AS max FROM composes'),
  );
  // Composes the API accepted. (A request the API refused with a 503 because its INSERT timed out
  // in a frozen server can still be committed when the server runs again: that row gets its
  // workflow from the reconciler, later, and is checked with all the others at the end.)
  let stuck: { id: number; state: number; state_reason: string | null }[] = [];
  await eventually(`no compose stays in wait or generating after ${what} runs again`, RECOVERY_MS - (Date.now() - thawed), async () => {
    stuck = await query('SELECT id, state, state_reason FROM composes WHERE id <= $1 AND id = ANY($2) AND state IN ($3, $4)', [
      max ?? 0,
      [...accepted.keys()],
      COMPOSE_STATES.wait,
      COMPOSE_STATES.generating,
    ]);
    return stuck.length === 0;
  }).catch((err) => {
    throw new Error(`${err.message}: ${JSON.stringify(stuck)}\n${stuck.map((r) => describeWorkflow(r.id)).join('\n')}`);
  });
  await eventually(`ready after ${what} was frozen`, RECOVERY_MS - (Date.now() - thawed), ready);
}

/** What Temporal says of a compose's workflow (pending activities and their attempts), for a failure message. */
function describeWorkflow(id: number): string {
  try {
    const address = `127.0.0.1:${stack.env.ODCS_TEMPORAL_PORT}`;
    return execFileSync(temporalCliPath(), ['workflow', 'describe', '--address', address, '-w', `compose-${id}`], { encoding: 'utf8', timeout: 10_000 });
  } catch (err) {
    return `compose-${id}: ${(err as Error).message}`;
  }
}

/** Every event of the stream from the start, until each compose's last state has been seen. */
async function allEvents(finalStates: Map<number, string>): Promise<Map<number, string[]>> {
  const seen = new Map<number, string[]>();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 60_000);
  const res = await fetch(`${stack.base}/api/1/events`, { headers: { 'Last-Event-ID': '0' }, signal: controller.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const complete = () => [...finalStates].every(([id, state]) => seen.get(id)?.at(-1) === state);
  try {
    while (!complete()) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!/^event: state-changed$/m.test(block)) continue;
        const data = JSON.parse(block.match(/^data: (.*)$/m)![1]);
        seen.set(data.compose.id, [...(seen.get(data.compose.id) ?? []), data.compose.state_name]);
      }
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return seen;
}

test('SIGKILL and SIGSTOP of each component under 50 submissions: the stack heals itself, nothing lost, doubled, stuck or late', async () => {
  const submitting = submitAll();
  const submitted = (n: number) => eventually(`${n} composes accepted`, 300_000, async () => accepted.size >= n);

  await submitted(6);
  await killAndHeal('worker');
  await submitted(12);
  await killAndHeal('api');
  await submitted(18);
  await killAndHeal('temporal');
  await submitted(24);
  await killAndHeal('postgres');
  await submitted(30);
  await freezeAndThaw('Temporal', () => [stack.pidOf('temporal')]);
  await submitted(36);
  await freezeAndThaw('PostgreSQL', () => stack.postgresPids());
  await submitting;

  // Everything settles: the accepted long-lived composes done, the short-lived ones removed after
  // their time. A request the API refused with a 503 may have left a row: the API marks it failed
  // when Temporal could not start its workflow, and a row whose INSERT timed out in a frozen
  // PostgreSQL but committed later is given its workflow by the reconciler. Those end too.
  type Row = { id: number; state: number; reused_id: number | null; time_to_expire: Date; time_removed: Date | null; state_reason: string | null };
  let rows: Row[] = [];
  const shortIds = new Set([...accepted].filter(([, a]) => a.short).map(([id]) => id));
  const settled = (r: Row) =>
    accepted.has(r.id)
      ? r.state === (shortIds.has(r.id) ? COMPOSE_STATES.removed : COMPOSE_STATES.done)
      : r.state === COMPOSE_STATES.done || r.state === COMPOSE_STATES.removed || (r.state === COMPOSE_STATES.failed && /^Can not schedule compose/.test(r.state_reason ?? ''));
  await eventually('every accepted compose ends done (or removed, when short-lived), every other one ends', 180_000, async () => {
    rows = await query<Row>('SELECT id, state, reused_id, time_to_expire, time_removed, state_reason FROM composes ORDER BY id');
    return rows.every(settled);
  }).catch((err) => {
    throw new Error(`${err.message}: ${JSON.stringify(rows.filter((r) => !settled(r)))}`);
  });
  for (const id of accepted.keys()) assert.ok(rows.some((r) => r.id === id), `accepted compose ${id} exists`);

  // Short-lived composes were removed on time: not early, and at most a minute late counting only
  // the time the stack was whole (an expiry that fell during an outage is due when the outage
  // ends, and an outage that began before the removal holds it up for as long as it lasted).
  for (const r of rows.filter((r) => shortIds.has(r.id))) {
    let due = r.time_to_expire.getTime();
    for (const o of outages) if (due >= o.from && due <= o.to) due = o.to;
    assert.ok(r.time_removed, `compose ${r.id} has time_removed`);
    const removed = r.time_removed.getTime();
    assert.ok(removed >= r.time_to_expire.getTime() - 1_000, `compose ${r.id} was not removed early`);
    let held = 0;
    for (const o of outages) held += Math.max(0, Math.min(o.to, removed) - Math.max(o.from, due));
    assert.ok(
      removed - due - held <= RECOVERY_MS,
      `compose ${r.id} removed ${(removed - due) / 1000} s after it was due (${r.time_to_expire.toISOString()}), ${held / 1000} s of it in outages; outages: ${JSON.stringify(outages.map((o) => ({ ...o, from: new Date(o.from).toISOString(), to: new Date(o.to).toISOString() })))}`,
    );
  }

  // One tree per generated compose (none for a reuse, none left after removal), no temporary leftovers.
  const composeRoot = path.join(stack.dataDir, 'composes');
  const entries = fs.readdirSync(composeRoot).filter((e) => e.startsWith('odcs-') || e.startsWith('.tmp'));
  const expected = rows.filter((r) => r.state === COMPOSE_STATES.done && r.reused_id === null).map((r) => `odcs-${r.id}`);
  assert.deepEqual(entries.sort(), expected.sort());
  const leftovers = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.name.startsWith('.tmp')) return [p];
      return e.isDirectory() ? leftovers(p) : [];
    });
  assert.deepEqual(leftovers(composeRoot), [], 'no temporary directories are left');

  // Every state change of every compose is in the events stream, once and in order.
  const finals = new Map(rows.map((r) => [r.id, STATE_NAMES[r.state]]));
  const events = await allEvents(finals);
  for (const r of rows) {
    const want =
      r.state === COMPOSE_STATES.failed ? ['wait', 'failed'] : ['wait', 'generating', 'done', ...(r.state === COMPOSE_STATES.removed ? ['removed'] : [])];
    assert.deepEqual(events.get(r.id), want, `events of compose ${r.id}`);
  }

  // The metrics count the restarts, per component.
  const metrics = await (await fetch(`${stack.base}/api/1/metrics/`)).text();
  for (const component of ['postgres', 'temporal', 'worker', 'api']) {
    const m = metrics.match(new RegExp(`^odcs_component_restarts_total\\{component="${component}"\\} (\\d+)$`, 'm'));
    assert.ok(m && Number(m[1]) >= 1, `odcs_component_restarts_total for ${component}: ${m?.[0]}`);
  }

  run.proc.kill('SIGINT');
  assert.equal(await run.exited, 0);
  assert.deepEqual(stack.leftovers(), [], 'no child outlives Ctrl-C');
});
