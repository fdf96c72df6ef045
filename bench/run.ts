// `npm run bench [-- --only generation|closure|koji|compose|post|odcs|flow|expiry|amqp|providers|cluster[,...]]`: runs the benchmarks and prints, for each,
// its figures and their ratio to a baseline measured in the same run (machines are noisy: compare
// ratios between runs, never absolute times). Progress goes to stderr, results to stdout.
//
// compose, post, odcs, flow and expiry need PostgreSQL and Temporal: this starts a private pair on free ports (as
// `npm test` does, see test/harness/services.ts; `node scripts/bootstrap.mjs` must have run) and
// stops it at the end. generation and koji need only rpmbuild and createrepo_c; closure only dnf. amqp needs PostgreSQL (from
// the same pair) and starts its own RabbitMQ (scripts/services/rabbitmq.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServices, type TestServices } from '../test/harness/services.js';
import { heading, machineLine, progress } from './lib.js';

const ALL = ['generation', 'closure', 'koji', 'compose', 'post', 'odcs', 'flow', 'expiry', 'amqp', 'providers', 'cluster'] as const;
type BenchName = (typeof ALL)[number];

const USAGE = `usage: npm run bench [-- --only ${ALL.join('|')}[,...]] [--keep-tmp]

  generation  generateCompose of 100 and 1000 tiny and 1000 realistic-size packages vs createrepo_c alone
              BENCH_GEN_SIZES=100,1000  BENCH_GEN_REALISTIC=1000  BENCH_GEN_REPEAT=5
  closure     closure of 500 packages out of a synthetic 70,000-package source vs dnf repoquery --resolve --recursive
              BENCH_CLOSURE_PACKAGES=70000  BENCH_CLOSURE_REQUEST=500  BENCH_CLOSURE_REPEAT=3
  koji        a Koji tag compose of a 300-package closure out of a 3000-package tag: mirroring the tag vs closure only
              BENCH_KOJI_TAG=3000  BENCH_KOJI_CLOSURE=300  BENCH_KOJI_PAYLOAD=50000  BENCH_KOJI_REPEAT=3
  compose     the whole path, POST /api/1/composes/ to done, for a 300-package closure of realistic sizes vs createrepo_c alone
              BENCH_COMPOSE_PACKAGES=300  BENCH_COMPOSE_REPEAT=3
  post        POST /api/1/composes/ throughput vs its one statement (INSERT + start record) done directly
              BENCH_POST_TOTAL=300  BENCH_POST_CONCURRENCY=8  BENCH_POST_WARMUP=20
  odcs        odcs-flow's API (and worker) vs the real ODCS 0.9.2 API (gunicorn, 2 workers, SQLite, noauth) on the
              same requests: POST, GET one, GET list, GET filtered list; req/s, p50, p99 (installs ODCS into a venv once)
              BENCH_ODCS_REQUESTS=300  BENCH_ODCS_CONCURRENCY=8  BENCH_ODCS_ROUNDS=3  BENCH_ODCS_WARMUP=50  BENCH_ODCS_WORKERS=2
  flow        whole stack: submit -> generating on an idle stack; composes done per second for identical (reuse)
              and distinct requests; worker RSS with many live composes
              BENCH_FLOW_LATENCY=30  BENCH_FLOW_REUSE=2000  BENCH_FLOW_DISTINCT=500  BENCH_FLOW_LIVE=10000  BENCH_FLOW_CONCURRENCY=8
  expiry      expiry lag of composes vs a bare Temporal timer for the same deadlines
              BENCH_EXPIRY_COMPOSES=500  BENCH_EXPIRY_TTL_MIN=20  BENCH_EXPIRY_TTL_MAX=60
              BENCH_EXPIRY_CONCURRENCY=8  BENCH_EXPIRY_PUNGI=2  BENCH_EXPIRY_TIMER_LEAD=5
  amqp        outbox -> AMQP relay -> RabbitMQ -> consumer vs bare amqplib publish with confirms
              BENCH_AMQP_EVENTS=2000  BENCH_AMQP_ROUNDS=3  BENCH_AMQP_LATENCY_EVENTS=300  BENCH_AMQP_RATE=50
  providers   refresh-all of a large fake Fedora (full, then no change: conditional requests), time and
              peak memory; GET /api/v2/packager_dashboard for a 300-package user vs the raw SQL reads
              BENCH_PROVIDERS_PACKAGES=30000  BENCH_PROVIDERS_USERS=500  BENCH_PROVIDERS_GROUPS=200
              BENCH_PROVIDERS_HEAVY=300  BENCH_PROVIDERS_REQUESTED_USERS=10  BENCH_PROVIDERS_DASHBOARD_N=200
  cluster     npm run cluster (Temporal cluster on PostgreSQL) vs the same workers and APIs on the dev server:
              POST/s and done/s, RSS per process (Temporal per service), compiled vs tsx RSS
              BENCH_CLUSTER_COMPOSES=200  BENCH_CLUSTER_CONCURRENCY=8  (needs node scripts/bootstrap.mjs --cluster)`;

function parseArgs(argv: string[]): { only: BenchName[]; keepTmp: boolean } {
  let only: BenchName[] = [...ALL];
  let keepTmp = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (a === '--keep-tmp') {
      keepTmp = true;
    } else if (a === '--only' || a.startsWith('--only=')) {
      const value = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (!value) throw new Error(`--only needs a value: ${ALL.join('|')}`);
      const names = value.split(',').map((s) => s.trim()).filter(Boolean);
      const bad = names.filter((n) => !(ALL as readonly string[]).includes(n));
      if (bad.length) throw new Error(`unknown benchmark ${bad.join(', ')}; expected ${ALL.join('|')}`);
      only = ALL.filter((n) => names.includes(n));
    } else {
      throw new Error(`unknown argument ${a}\n${USAGE}`);
    }
  }
  return { only, keepTmp };
}

async function main(): Promise<void> {
  const { only, keepTmp } = parseArgs(process.argv.slice(2));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'odcs-flow-bench-'));
  fs.chmodSync(tmp, 0o755);
  let services: TestServices | null = null;
  const cleanup = async () => {
    if (services) await services.stop();
    services = null;
    if (!keepTmp) fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().finally(() => process.exit(130)));

  console.log(`odcs-flow benchmarks: ${only.join(', ')}`);
  console.log(`machine: ${machineLine()}`);
  try {
    if (['compose', 'post', 'odcs', 'flow', 'expiry', 'amqp', 'providers'].some((n) => only.includes(n as BenchName))) {
      const t0 = Date.now();
      services = await startTestServices(tmp);
      process.env.ODCS_TEST_DATABASE_URL = services.databaseUrl;
      process.env.ODCS_TEST_TEMPORAL_ADDRESS = services.temporalAddress;
      process.env.ODCS_TEST_TMP = tmp;
      process.env.LOG_LEVEL ??= 'warn';
      progress(`services (${services.kind}) up in ${Date.now() - t0} ms: PostgreSQL ${services.databaseUrl}, Temporal ${services.temporalAddress}`);
    }
    for (const name of only) {
      const t0 = Date.now();
      // Loaded on demand, so `--only generation` does not load the Temporal worker at all.
      if (name === 'generation') await (await import('./generation.js')).runGenerationBench({ tmp });
      if (name === 'closure') await (await import('./closure.js')).runClosureBench({ tmp });
      if (name === 'koji') await (await import('./koji.js')).runKojiBench({ tmp });
      if (name === 'compose') await (await import('./compose-path.js')).runComposePathBench({ tmp });
      if (name === 'post') await (await import('./post-throughput.js')).runPostThroughputBench();
      if (name === 'odcs') await (await import('./odcs-peer.js')).runOdcsPeerBench({ tmp });
      if (name === 'flow') await (await import('./compose-flow.js')).runComposeFlowBench({ tmp });
      if (name === 'expiry') await (await import('./expiry-lag.js')).runExpiryLagBench();
      if (name === 'amqp') await (await import('./amqp.js')).runAmqpBench({ tmp });
      if (name === 'providers') await (await import('./providers.js')).runProvidersBench();
      if (name === 'cluster') await (await import('./cluster.js')).runClusterBench({ tmp });
      progress(`${name} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await cleanup();
  }
  heading('done');
}

try {
  await main();
  process.exit(0);
} catch (err) {
  process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
