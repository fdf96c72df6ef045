// A whole odcs-flow for one test file: its own database (migrated), its own task queues on the
// shared Temporal dev server, the workers in-process and the API on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { NativeConnection, Runtime, DefaultLogger, bundleWorkflowCode, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import pg from 'pg';
import { loadConfig, type AppConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import type { OdcsSettings } from '../../core/settings.js';
import { migrate } from '../../store/migrate.js';
import { createPool } from '../../store/pool.js';
import { loadSettings } from '../../config/settings-loader.js';
import { createApp } from '../../api/app.js';
import { EventNotifier } from '../../api/event-notifier.js';
import { createTemporalGateway, type TemporalGateway } from '../../temporal/client.js';
import { ensureSearchAttributes } from '../../temporal/search-attributes.js';
import { createWorkers, WORKFLOWS_PATH } from '../../worker/workers.js';
import { WorkflowStarter } from '../../worker/workflow-starter.js';
import { freePort } from '../../scripts/services/process-utils.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with \`npm test\` (it starts PostgreSQL and Temporal)`);
  return v;
}

export function testTmpDir(prefix: string): string {
  const base = process.env.ODCS_TEST_TMP ?? fs.mkdtempSync('/tmp/odcs-flow-test-');
  const dir = fs.mkdtempSync(path.join(base, `${prefix}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** A fresh, migrated database on the test server. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = requireEnv('ODCS_TEST_DATABASE_URL');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  // Every test database shares one Temporal server and workflow ids are `compose-<id>`: give each
  // database its own id range so that no stack attaches to another stack's workflow.
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  await c.query(`SELECT setval('composes_id_seq', $1)`, [randomBytes(4).readUInt32BE() % 2_000_000 * 1000 + 1]);
  await c.end();
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

let bundle: Promise<WorkflowBundleWithSourceMap> | null = null;
/** Bundling takes seconds: once per test process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  return bundle;
}

let runtimeInstalled = false;
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  // Activity failures the tests provoke on purpose would flood the output at WARN.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

export interface Stack {
  config: AppConfig;
  settings: OdcsSettings;
  env: Record<string, string>;
  baseUrl: string;
  pool: pg.Pool;
  temporal: TemporalGateway;
  dataDir: string;
  startWorkers(queues?: { generate?: boolean }): Promise<void>;
  stopWorkers(): Promise<void>;
  /** A worker in a separate process (for kill tests). */
  /** worker/main.ts under tsx, or dist/worker/main.js with `compiled` (build it first: scripts/build.mjs). */
  spawnWorker(extraEnv?: Record<string, string>, opts?: { compiled?: boolean; nodeArgs?: string[] }): ChildProcess;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** ODCS settings JSON (written to a file and passed as ODCS_CONFIG). */
  settings?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Start the in-process workers (default true). */
  workers?: boolean;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  quietRuntime();
  const dataDir = testTmpDir('stack');
  const db = await createTestDatabase();
  const port = await freePort();
  const suffix = randomBytes(4).toString('hex');
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: requireEnv('ODCS_TEST_TEMPORAL_ADDRESS'),
    TASK_QUEUE: `test-default-${suffix}`,
    GENERATE_TASK_QUEUE: `test-gen-${suffix}`,
    DATA_DIR: dataDir,
    PORT: String(port),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...opts.env,
  };
  if (opts.settings) {
    const file = path.join(dataDir, 'odcs.json');
    fs.writeFileSync(file, JSON.stringify(opts.settings));
    env.ODCS_CONFIG = file;
  }
  const config = loadConfig(env, ROOT);
  const settings = loadSettings(config);
  const log = createLogger('test', config.logLevel);
  const pool = createPool(db.url, 5);
  const temporal = createTemporalGateway(config.temporalAddress, config.temporalNamespace);
  const notifier = new EventNotifier(db.url, log);
  const app = createApp({ config, settings, pool, temporal, notifier, log });
  const server: ServerType = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  await ensureSearchAttributes(connection as never, config.temporalNamespace);

  let workers: Worker[] = [];
  let starter: WorkflowStarter | null = null;
  let running: Promise<unknown> | null = null;
  const children = new Set<ChildProcess>();
  const stack: Stack = {
    config,
    settings,
    env,
    baseUrl: `http://127.0.0.1:${port}`,
    pool,
    temporal,
    dataDir,
    async startWorkers(queues = {}) {
      workers = await createWorkers({ config, settings, pool, connection, client: temporal.client, workflowBundle: await workflowBundle() }, queues);
      running = Promise.all(workers.map((w) => w.run()));
      // As in worker/main.ts: the worker process delivers the commands the API committed.
      starter = new WorkflowStarter({ pool, databaseUrl: db.url, client: temporal.client, config, settings, log }).start();
    },
    async stopWorkers() {
      await starter?.stop();
      starter = null;
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
      workers = [];
      running = null;
    },
    spawnWorker(extraEnv = {}, opts = {}) {
      const entry = opts.compiled ? ['dist/worker/main.js'] : ['--import', 'tsx', 'worker/main.ts'];
      const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...entry], {
        cwd: ROOT,
        env: { ...process.env, ...env, ...extraEnv },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
    async stop() {
      for (const child of children) child.kill('SIGKILL');
      await stack.stopWorkers();
      await notifier.close();
      (server as import('node:http').Server).closeAllConnections(); // open event streams
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
      await temporal.close();
      await pool.end();
      await db.drop();
    },
  };
  if (opts.workers !== false) await stack.startWorkers();
  return stack;
}

/** JSON over HTTP against the stack, returning status, headers and parsed body. */
export async function http(
  stack: Pick<Stack, 'baseUrl'>,
  method: string,
  urlPath: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers; text: string }> {
  const res = await fetch(`${stack.baseUrl}${urlPath}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers, text };
}

/** Polls `fn` every 100 ms until it gives a truthy value, which it returns; throws naming `what` after the timeout. */
export async function until<T>(what: string, fn: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls a compose until its state_name is one of `states`. */
export async function waitForState(stack: Stack, id: number, states: string[], timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    last = (await http(stack, 'GET', `/api/1/composes/${id}`)).body;
    if (states.includes(last?.state_name)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`compose ${id} did not reach ${states.join('/')} in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}
