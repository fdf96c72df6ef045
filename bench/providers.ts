// Benchmark 5: provider caches (oraculum).
//
// 1. Full refresh: the refresh-all workflow on an empty cache against a large fake Fedora
//    (bench/providers-upstream.ts, in its own process: 30,000 packages, 500 users, 200 groups;
//    Koschei 60,000 entries; ~3,000 updates), with the per-package providers covering the packages
//    of BENCH_PROVIDERS_REQUESTED_USERS users (marked as asked for). Wall time, upstream requests,
//    and the peak RSS / heap of this process (API + workers + activities) over its baseline
//    (after a gc() when node runs with --expose-gc, as `npm run bench` does). Its baseline, in the
//    same run: the same upstream requests replayed bare (node:http, kept-alive sockets) + JSON.parse,
//    UPSTREAM_CONCURRENCY at a time (no Temporal, no parsing into rows, no database).
// 2. No-change refresh: the same workflow again; every upstream answers 304 (conditional requests),
//    nothing is parsed or rewritten.
// 3. GET /api/v2/packager_dashboard?users=<user with 300 packages> through HTTP, against the raw
//    SQL reads of the same rows (the two statements the handler runs), same pool, same run.
//
// Env: BENCH_PROVIDERS_PACKAGES (30000), BENCH_PROVIDERS_USERS (500), BENCH_PROVIDERS_GROUPS (200),
// BENCH_PROVIDERS_HEAVY (packages of the dashboard user, 300), BENCH_PROVIDERS_REQUESTED_USERS (10),
// BENCH_PROVIDERS_DASHBOARD_N (requests per side, 200).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { decodeMethodResponse } from '../activities/koji/xmlrpc.js';
import { nodeTransport } from '../activities/providers/http.js';
import { cacheStats, readKeysLite, readRowsLite, touchAndQueue } from '../store/cache.js';
import { startRefreshAll } from '../temporal/providers.js';
import { DASHBOARD_GLOBALS, resolutionKeys, resolvePackages, type DashboardQuery, type RowLike } from '../core/providers/dashboard.js';
import { PACKAGE_PROVIDERS, REFRESH_PHASES } from '../core/providers/registry.js';
import { startStack, type Stack } from '../test/harness/stack.js';
import { envInt, heading, median, ms, progress, quantile, ratio, table } from './lib.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MB = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

async function startUpstream(): Promise<{ child: ChildProcess; env: Record<string, string>; requested: string[]; heavyUser: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'providers-upstream.ts')], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`the fake upstream exited (${code})`)));
  });
  return { child, ...JSON.parse(line) };
}

async function upstreamCounts(env: Record<string, string>): Promise<Record<string, number>> {
  const base = env.BODHI_URL.replace(/\/bodhi$/, '');
  return (await fetch(`${base}/__stats`)).json() as Promise<Record<string, number>>;
}

const diff = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(Object.keys({ ...a, ...b }).map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)]).filter(([, v]) => (v as number) > 0));

/** gc() exists only when node runs with --expose-gc (`npm run bench` passes it). */
const gc = (globalThis as { gc?: () => void }).gc;

/** Runs fn while sampling memory every 50 ms. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; peakRss: number; baseRss: number; peakHeap: number; baseHeap: number }> {
  if (gc) gc();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 50);
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, ms: performance.now() - t0, peakRss, baseRss: base.rss, peakHeap, baseHeap: base.heapUsed };
  } finally {
    clearInterval(timer);
  }
}

/** A provider in a refresh-all: from its first activity scheduled to its last one closed, and how much of that its activities ran. */
interface ProviderTiming {
  wall: number;
  /** Activity task started -> closed, summed. */
  work: number;
  /** Activity task scheduled -> started (waiting for a worker), summed. */
  queued: number;
}

type HistoryEvent = NonNullable<Awaited<ReturnType<ReturnType<Stack['temporal']['client']['workflow']['getHandle']>['fetchHistory']>>['events']>[number];
const at = (e: HistoryEvent) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

/** Runs refresh-all; returns each provider's timing from the workflow history (its activities), and the run's wall time. */
async function refreshAll(stack: Stack): Promise<{ providers: Map<string, ProviderTiming>; wall: number }> {
  const { workflowId, runId } = await startRefreshAll(stack.temporal.client, stack.config);
  const handle = stack.temporal.client.workflow.getHandle(workflowId, runId);
  await handle.result();
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map<number, { provider: string; t: number }>();
  const began = new Map<number, number>();
  const providers = new Map<string, ProviderTiming & { first: number }>();
  for (const e of events) {
    const eid = Number(e.eventId);
    const sch = e.activityTaskScheduledEventAttributes;
    if (sch) {
      const data = sch.input?.payloads?.[0]?.data;
      const provider = data ? (JSON.parse(Buffer.from(data).toString('utf8')) as string) : '?';
      scheduled.set(eid, { provider, t: at(e) });
      if (!providers.has(provider)) providers.set(provider, { wall: 0, work: 0, queued: 0, first: at(e) });
    }
    const st = e.activityTaskStartedEventAttributes;
    if (st) {
      began.set(eid, at(e));
      const s = scheduled.get(Number(st.scheduledEventId));
      if (s) providers.get(s.provider)!.queued += at(e) - s.t;
    }
    const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
    if (done) {
      const s = scheduled.get(Number(done.scheduledEventId));
      if (!s) continue;
      const p = providers.get(s.provider)!;
      p.work += at(e) - (began.get(Number(done.startedEventId)) ?? at(e));
      p.wall = at(e) - p.first;
    }
  }
  return { providers, wall: at(events[events.length - 1]) - at(events[0]) };
}

/** The requests the fake upstreams served after `after` (their log sequence number). */
type Logged = { path: string; status: number; body?: string };

async function upstreamLog(env: Record<string, string>, after: number): Promise<{ seq: number; requests: Logged[] }> {
  const base = env.BODHI_URL.replace(/\/bodhi$/, '');
  return (await fetch(`${base}/__log?after=${after}`)).json() as Promise<{ seq: number; requests: Logged[] }>;
}

/**
 * The floor of a refresh: the same requests through the client's transport alone (node:http with
 * kept-alive sockets; no retries, validators or schemas) + JSON.parse (XML-RPC decode for Koji's
 * POSTs), `concurrency` at a time.
 */
async function bareReplay(env: Record<string, string>, paths: Logged[], concurrency: number): Promise<number> {
  const base = env.BODHI_URL.replace(/\/bodhi$/, '');
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < paths.length) {
        const { path, body } = paths[next++];
        const once = async () =>
          (await nodeTransport(`${base}${path}`, { method: body === undefined ? 'GET' : 'POST', body, headers: body === undefined ? {} : { 'Content-Type': 'text/xml' }, signal: AbortSignal.timeout(60_000) })).text;
        // A kept-alive socket the fake closed as idle fails once (our client retries such errors too).
        const text = await once().catch(once);
        try {
          if (body === undefined) JSON.parse(text);
          else decodeMethodResponse(text);
        } catch {
          /* a non-JSON answer costs its transfer only */
        }
      }
    }),
  );
  return performance.now() - t0;
}

export async function runProvidersBench(): Promise<void> {
  const n = envInt('BENCH_PROVIDERS_DASHBOARD_N', 200);
  const packages = envInt('BENCH_PROVIDERS_PACKAGES', 30_000);
  progress(`generating the fake Fedora (${packages} packages)`);
  const up = await startUpstream();
  let stack: Stack | null = null;
  try {
    stack = await startStack({ env: { ...up.env, LOG_LEVEL: 'warn', UPSTREAM_BACKOFF_MS: '200' } });
    const s = stack;
    await touchAndQueue(
      s.pool,
      up.requested.flatMap((arg) => PACKAGE_PROVIDERS.map((provider) => ({ provider, arg, touch: true, queue: false }))),
      60,
    );
    progress(`full refresh (${up.requested.length} packages asked for)`);
    let c0 = await upstreamCounts(up.env);
    const seq0 = (await upstreamLog(up.env, Number.MAX_SAFE_INTEGER)).seq;
    const full = await measured(() => refreshAll(s));
    const fullCounts = diff(c0, await upstreamCounts(up.env));
    const fullLog = await upstreamLog(up.env, seq0);
    const replayed = fullLog.requests.filter((r) => r.status > 0);
    progress(`baseline: replaying the full refresh's ${replayed.length} requests bare`);
    const bare = await bareReplay(up.env, replayed, s.config.providers.upstream.concurrency);
    const stats = await cacheStats(s.pool);
    progress('no-change refresh');
    const seq1 = (await upstreamLog(up.env, Number.MAX_SAFE_INTEGER)).seq;
    c0 = await upstreamCounts(up.env);
    const again = await measured(() => refreshAll(s));
    const againCounts = diff(c0, await upstreamCounts(up.env));
    const againLog = await upstreamLog(up.env, seq1);

    heading(`providers: refresh-all, ${packages} packages, ${up.requested.length} asked for (per-package data), fake upstreams in another process`);
    const row = (label: string, m: typeof full, counts: Record<string, number>) => [
      label,
      `${(m.ms / 1000).toFixed(1)} s`,
      String(Object.values(counts).reduce((a, v) => a + v, 0)),
      Object.entries(counts).map(([k, v]) => `${k}:${v}`).join(' '),
      MB(m.baseRss),
      MB(m.peakRss),
      `+${MB(m.peakRss - m.baseRss)}`,
      `+${MB(Math.max(0, m.peakHeap - m.baseHeap))}`,
    ];
    table([
      ['refresh', 'time', 'upstream requests', 'by status', 'rss before', 'rss peak', 'rss delta', 'heap delta'],
      row('full (empty cache)', full, fullCounts),
      row('no change (304s)', again, againCounts),
    ]);
    const byService = (log: typeof fullLog) => {
      const n = new Map<string, number>();
      for (const r of log.requests) {
        const service = r.path.split('/')[1];
        n.set(service, (n.get(service) ?? 0) + 1);
      }
      return [...n.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
    };
    console.log(`  upstream requests by service, full: ${byService(fullLog)}`);
    console.log(`  upstream requests by service, no change: ${byService(againLog)}`);
    console.log(
      `  baseline, same run: the full refresh's ${replayed.length} upstream answers fetched bare (node:http, kept-alive) + JSON.parse'd, ${s.config.providers.upstream.concurrency} at a time: ${(bare / 1000).toFixed(1)} s`,
    );
    console.log(`  full refresh / bare replay of the same requests: ${ratio(full.ms, bare)}`);
    console.log(`  no-change / full time: ${ratio(again.ms, full.ms)}`);
    if (!gc) console.log('  (node ran without --expose-gc: the memory baselines include uncollected garbage)');
    console.log(
      '  per provider: first activity scheduled to last closed (its activities running / waiting for a worker; the rest is Temporal scheduling and workflow tasks); phases run one after the other, providers of a phase at once:',
    );
    const sec = (x: number) => `${(x / 1000).toFixed(2)} s`;
    const cell = (t: ProviderTiming | undefined) => (t ? `${sec(t.wall)} (${sec(t.work)} / ${sec(t.queued)})` : '-');
    table([['provider', 'full', 'no change'], ...REFRESH_PHASES.flat().map((p) => [p, cell(full.value.providers.get(p)), cell(again.value.providers.get(p))])]);
    // The critical path: each phase waits for its slowest provider; what the phases' maxima leave of the run is refresh-all's own.
    const path = (m: Map<string, ProviderTiming>) => REFRESH_PHASES.map((ph) => Math.max(0, ...ph.map((p) => m.get(p)?.wall ?? 0)));
    for (const [label, m] of [['full', full.value], ['no change', again.value]] as const) {
      const phases = path(m.providers);
      const sum = phases.reduce((a, x) => a + x, 0);
      console.log(`  ${label}: refresh-all ${sec(m.wall)} = phases' slowest providers ${phases.map(sec).join(' + ')} + ${sec(m.wall - sum)} between them`);
    }
    console.log(
      `  cache: ${stats.reduce((a, x) => a + x.rows, 0)} rows, ${MB(stats.reduce((a, x) => a + x.bytes, 0))} of data (${stats
        .map((x) => `${x.provider} ${x.rows}`)
        .join(', ')})`,
    );

    // Dashboard of the heavy user against the raw SQL reads of the same rows.
    const query = `users=${up.heavyUser}`;
    const url = `${s.baseUrl}/api/v2/packager_dashboard?${query}`;
    const first = await (await fetch(url)).json();
    if (first.status !== 200) throw new Error(`the dashboard is not complete after refresh-all: status ${first.status}`);
    const pkgCount = Object.keys(first.packages).length;
    const q: DashboardQuery = { users: [up.heavyUser], groups: [], packages: [], requiredAcl: 'commit' };
    const raw = async () => {
      const rows = new Map<string, RowLike>();
      for (const r of await readKeysLite(s.pool, resolutionKeys(q))) rows.set(`${r.provider}\u0000${r.arg}`, r);
      const resolved = resolvePackages(q, (p, a) => rows.get(`${p}\u0000${a}`));
      return readRowsLite(s.pool, [...DASHBOARD_GLOBALS, ...PACKAGE_PROVIDERS], resolved.packages);
    };
    const rawRows = (await raw()).length;
    const api = async () => {
      const res = await fetch(url);
      const body = await res.text();
      return body.length;
    };
    const bytes = await api();
    for (let i = 0; i < 20; i++) {
      await api();
      await raw();
    }
    const apiLat: number[] = [];
    const rawLat: number[] = [];
    // Alternate the two sides so that machine noise hits both alike.
    for (let i = 0; i < n; i++) {
      let t0 = performance.now();
      await api();
      apiLat.push(performance.now() - t0);
      t0 = performance.now();
      await raw();
      rawLat.push(performance.now() - t0);
    }
    heading(`providers: GET /api/v2/packager_dashboard?${query} (${pkgCount} packages, ${rawRows} rows, ${(bytes / 1024).toFixed(0)} KiB) vs raw SQL of the same rows, ${n} sequential each`);
    table([
      ['side', 'p50', 'p95', 'max'],
      ['API (HTTP)', ms(median(apiLat)), ms(quantile(apiLat, 0.95)), ms(Math.max(...apiLat))],
      ['raw SQL', ms(median(rawLat)), ms(quantile(rawLat, 0.95)), ms(Math.max(...rawLat))],
    ]);
    console.log(`  API / raw SQL (p50): ${ratio(median(apiLat), median(rawLat))}`);
  } finally {
    await stack?.stop();
    up.child.kill('SIGTERM');
  }
}
