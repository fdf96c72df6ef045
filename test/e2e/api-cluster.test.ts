// API_PROCESSES=2 with real processes: two API processes share the port and both serve; the
// metrics report the whole API; a SIGKILLed process is replaced while the other keeps answering;
// SIGTERM drains (a request in flight is answered, event streams end, the primary exits 0).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import readline from 'node:readline';
import { after, before, test } from 'node:test';
import { freePort } from '../../scripts/services/process-utils.js';
import { ROOT, startStack, until, type Stack } from '../harness/stack.js';
import { openEventStream } from '../harness/sse.js';

let stack: Stack;
let port: number;
let base: string;
let api: ChildProcess;
const lines: Array<Record<string, any>> = [];

const BODY = JSON.stringify({ source: { type: 'tag', source: 't' } });

/** One request on a connection of its own (no keep-alive), so the primary hands each to a process in turn. */
function request(method: string, path: string, body?: string): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, text, headers: res.headers }));
    });
    // A connection the primary handed to a process as it was killed is never answered: give up on it.
    req.setTimeout(15_000, () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(body);
  });
}


const listeningPids = () => lines.filter((l) => l.msg?.startsWith('API listening')).map((l) => l.pid as number);
const servedBy = (from: number) => new Set(lines.slice(from).filter((l) => l.msg === 'request').map((l) => l.pid as number));

/** The request count of a route (every method and status) in a Prometheus text. */
function requestCount(metrics: string, route: string): number {
  let n = 0;
  for (const line of metrics.split('\n')) {
    if (line.startsWith('http_request_duration_seconds_count{') && line.includes(`route="${route}"`)) n += Number(line.split(' ').pop());
  }
  return n;
}

before(async () => {
  stack = await startStack({ workers: false, settings: { tags: { t: { repos: [] } } } });
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  api = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...stack.env, PORT: String(port), API_PROCESSES: '2', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  readline.createInterface({ input: api.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line));
    } catch {
      /* not JSON */
    }
  });
  await until('two API processes listening', () => new Set(listeningPids()).size === 2);
});

after(async () => {
  if (api && api.exitCode === null && api.signalCode === null) api.kill('SIGKILL');
  await stack?.stop();
});

test('two processes share the port, both serve, and the metrics count every request of both', async () => {
  const from = lines.length;
  const before = requestCount((await request('GET', '/api/1/metrics/')).text, '/api/1/composes');
  const created = await request('POST', '/api/1/composes/', BODY);
  assert.equal(created.status, 200, created.text);
  const id = JSON.parse(created.text).id as number;
  const n = 40;
  for (let i = 0; i < n; i++) {
    const res = await request('GET', `/api/1/composes/${i % 2 ? id : ''}`);
    assert.equal(res.status, 200, res.text);
  }
  await until('request lines of both processes', () => servedBy(from).size === 2);
  assert.deepEqual([...servedBy(from)].sort(), [...new Set(listeningPids())].sort(), 'each API process answered requests');
  // Whichever process answers the scrape, the count is the whole API's (both processes summed).
  for (let i = 0; i < 4; i++) {
    const metrics = (await request('GET', '/api/1/metrics/')).text;
    assert.equal(requestCount(metrics, '/api/1/composes'), before + n / 2 + 1, 'GET and POST on the list route, both processes');
    assert.match(metrics, /^composes\{state="wait"\} 1$/m, 'database figures counted once, not once per process');
  }
});

test('event streams on either process see a new compose (each process LISTENs itself)', async () => {
  const streams = [openEventStream(`${base}/api/1/events`), openEventStream(`${base}/api/1/events`)];
  try {
    for (const s of streams) await s.until((ev) => ev.some((e) => e.event === 'ready'));
    const created = await request('POST', '/api/1/composes/', BODY);
    const id = JSON.parse(created.text).id as number;
    for (const s of streams) await s.until((ev) => ev.some((e) => e.event === 'state-changed' && JSON.parse(e.data).compose.id === id));
  } finally {
    await Promise.all(streams.map((s) => s.close()));
  }
});

test('a SIGKILLed API process is replaced and requests keep being answered', async () => {
  const [victim, survivor] = [...new Set(listeningPids())].slice(-2);
  let stop = false;
  const results: Array<{ at: number; status: number | string }> = [];
  const loop = (async () => {
    while (!stop) {
      const at = lines.length;
      results.push({ at, status: await request('GET', '/api/1/composes/').then((r) => r.status, (e: Error) => e.message) });
    }
  })();
  await until('requests flowing', () => results.length >= 5);
  process.kill(victim, 'SIGKILL');
  const diedAt = await until('the death logged', () => {
    const i = lines.findIndex((l) => l.msg?.startsWith(`API process ${victim} died`));
    return i >= 0 ? i + 1 : false;
  });
  const replacement = await until('a replacement listening', () => listeningPids().find((p) => p !== victim && p !== survivor && lines.findIndex((l) => l.pid === p) >= diedAt));
  await until('requests after the death', () => results.filter((r) => r.at > diedAt).length >= 20, 180_000);
  stop = true;
  await loop;
  assert.match(lines[diedAt - 1].msg, /died \(signal SIGKILL\); starting another in 1 s/);
  const after = results.filter((r) => r.at >= diedAt);
  assert.deepEqual(after.filter((r) => r.status !== 200), [], 'every request after the death was answered 200');
  // The replacement serves too.
  const from = lines.length;
  await until('the replacement answering', async () => {
    await request('GET', '/api/1/composes/');
    return servedBy(from).has(replacement);
  });
});

test('SIGTERM drains: a request in flight is answered, event streams end, the primary exits 0', async () => {
  const { rows: [last] } = await stack.pool.query('SELECT max(id)::int AS id FROM composes');
  const stream = openEventStream(`${base}/api/1/events`);
  await stream.until((ev) => ev.some((e) => e.event === 'ready'));
  // A GET held in flight by a table lock until the drain has started.
  const locker = await stack.pool.connect();
  await locker.query('BEGIN');
  await locker.query('LOCK TABLE composes IN ACCESS EXCLUSIVE MODE');
  const inFlight = request('GET', `/api/1/composes/${last.id}`);
  await until('the GET waiting on the lock', async () => {
    const { rows } = await stack.pool.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query = 'SELECT * FROM composes WHERE id = $1'",
    );
    return rows[0].n === 1;
  });
  const exited = new Promise<number | null>((resolve) => api.once('exit', (code) => resolve(code)));
  api.kill('SIGTERM');
  await until('both processes draining', () => lines.filter((l) => l.msg === 'API shutting down: draining').length === 2);
  await locker.query('COMMIT');
  locker.release();
  const answered = await inFlight;
  assert.equal(answered.status, 200, answered.text);
  assert.equal(JSON.parse(answered.text).id, last.id);
  await stream.close(); // the server ended it: close() only collects what is left
  assert.ok(stream.events.some((e) => e.event === 'ready'));
  assert.equal(await exited, 0);
  assert.ok(lines.some((l) => l.msg === 'API primary stopped'));
  await assert.rejects(request('GET', '/healthz'), 'nothing listens any more');
});
