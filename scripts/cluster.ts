// `npm run cluster`: the production topology on one machine, compiled (run from dist/). PostgreSQL
// (embedded, unless DATABASE_URL is set), Temporal's schemas, the four Temporal services as separate
// processes from deploy/temporal/config/production.yaml, the Web UI server, two odcs-flow workers and
// two APIs, each supervised (restarted when it dies). Ctrl-C stops everything in reverse order.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type AppConfig } from '../core/config.js';
import { migrate } from '../store/migrate.js';
import { clusterToolPath } from './lib/cluster-tools.mjs';
import { startLocalPostgres, type LocalPostgres } from './services/postgres.js';
import { assertPortFree, commandLine, isAlive, stopPid, writePidFile } from './services/process-utils.js';
import { ensureDemoRepo } from './demo-repo.js';
import { Supervisor, type Component } from './supervisor.js';
import { program } from './cluster/program.js';
import { applyTemporalSchemas } from './cluster/temporal-schema.js';
import { clusterServing, ensureNamespace, frontendServing, portOpen } from './cluster/temporal-admin.js';
import {
  API_COUNT,
  TEMPORAL_CONFIG_DIR,
  TEMPORAL_CONFIG_FILE,
  TEMPORAL_SERVER_ARGS,
  TEMPORAL_SERVICES,
  WORKER_COUNT,
  clusterPorts,
  odcsEnv,
  postgresTarget,
  temporalServiceEnv,
  temporalUiEnv,
  WORKER_NODE_ARGS,
  type ClusterPorts,
} from './cluster/topology.js';

/** The repository: this file runs as dist/scripts/cluster.js (or scripts/cluster.ts under tsx). */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, path.basename(path.dirname(here)) === 'dist' ? '../..' : '..');
/** Where the compiled odcs-flow programs are. */
const dist = path.join(root, 'dist');
const say = (msg: string) => process.stdout.write(`[cluster] ${msg}\n`);

class Cluster {
  private readonly supervisor: Supervisor;
  private postgres: LocalPostgres | null = null;
  private stopping = false;
  readonly runDir: string;
  readonly logDir: string;
  readonly ports: ClusterPorts;

  constructor(private readonly config: AppConfig) {
    this.runDir = path.join(config.dataDir, 'run');
    this.logDir = path.join(config.dataDir, 'logs');
    const base = process.env.ODCS_CLUSTER_PORT_BASE ? Number(process.env.ODCS_CLUSTER_PORT_BASE) : undefined;
    this.ports = clusterPorts(base);
    this.supervisor = new Supervisor({
      say,
      onGiveUp: (reason) => {
        say(reason);
        void this.shutdown(1);
      },
      restartsFile: path.join(this.runDir, 'restarts.json'),
    });
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.runDir, { recursive: true });
    fs.mkdirSync(this.logDir, { recursive: true });
    await this.reapPreviousRun();
    writePidFile(path.join(this.runDir, 'cluster.pid'), process.pid);
    const p = this.ports;
    for (const port of p.apis) await assertPortFree(port, 'API');

    let databaseUrl = this.config.databaseUrl;
    if (databaseUrl) {
      say('PostgreSQL: using DATABASE_URL');
    } else {
      say('starting PostgreSQL (embedded)');
      this.postgres = await startLocalPostgres({ dataDir: path.join(this.config.dataDir, 'postgres'), port: p.postgres, database: 'odcs_flow' });
      databaseUrl = this.postgres.url;
    }
    say('applying migrations');
    const applied = await migrate(databaseUrl);
    if (applied.length) say(`applied migrations: ${applied.join(', ')}`);
    // TEMPORAL_ADDRESS: an existing Temporal (e.g. the dev server, for the benchmark's baseline) instead of our own.
    const external = process.env.TEMPORAL_ADDRESS;
    const frontendAddress = external ?? `127.0.0.1:${p.grpc.frontend}`;
    if (external) {
      say(`Temporal: using TEMPORAL_ADDRESS=${external}`);
      await waitFor(() => frontendServing(frontendAddress), 120_000, `Temporal at ${external}`);
      await ensureNamespace(frontendAddress, this.config.temporalNamespace);
    } else {
      await this.startTemporal(databaseUrl, frontendAddress);
    }

    const demo = await ensureDemoRepo(path.join(this.config.dataDir, 'repos', 'demo'));
    if (demo.built) say(`built the demo tag's RPMs into ${demo.dir}`);

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...odcsEnv({ databaseUrl, ports: p, dataDir: this.config.dataDir, host: this.config.host }),
      TEMPORAL_ADDRESS: frontendAddress,
      ODCS_SUPERVISOR_PID: String(process.pid),
      // The API's odcs_component_restarts_total reads the supervisor's counts.
      ODCS_COMPONENT_RESTARTS_FILE: path.join(this.runDir, 'restarts.json'),
    };
    for (let i = 1; i <= WORKER_COUNT; i++) await this.supervisor.start(this.worker(`worker-${i}`, env));
    for (let i = 1; i <= API_COUNT; i++) await this.supervisor.start(this.api(`api-${i}`, p.apis[i - 1], env));

    const host = this.config.host === '0.0.0.0' ? 'localhost' : this.config.host;
    say('odcs-flow cluster is running:');
    for (const port of p.apis) say(`  API            http://${host}:${port}/api/1/composes/`);
    say(`  composes       ${env.TARGET_DIR_URL}/`);
    if (external) {
      say(`  Temporal       ${external}`);
    } else {
      say(`  Temporal       127.0.0.1:${p.grpc.frontend} (frontend), history :${p.grpc.history}, matching :${p.grpc.matching}, worker :${p.grpc.worker}`);
      say(`  Temporal UI    http://localhost:${p.ui}`);
      say(`  metrics        Temporal ${TEMPORAL_SERVICES.map((s) => `${s} :${p.metrics[s]}`).join(', ')}`);
      say(`  config         ${TEMPORAL_CONFIG_FILE}`);
    }
    say(`  metrics        odcs-flow http://${host}:${p.apis[0]}/api/1/metrics/`);
    say(`  PostgreSQL     ${this.postgres ? `127.0.0.1:${p.postgres} (odcs_flow, temporal, temporal_visibility)` : 'DATABASE_URL'}`);
    say(`  logs           ${this.logDir}/`);
    say(`  pids           ${this.runDir}/`);
    say('Ctrl-C stops everything.');
  }

  /** Schemas, the four services (frontend first: on an empty database the others need the cluster metadata it writes), the UI. */
  private async startTemporal(databaseUrl: string, frontendAddress: string): Promise<void> {
    const p = this.ports;
    for (const port of [p.ui, ...Object.values(p.grpc), ...Object.values(p.membership), p.frontendHttp]) await assertPortFree(port, 'Temporal');
    const db = postgresTarget(databaseUrl);
    const schemas = await applyTemporalSchemas(db);
    say(`Temporal schemas: ${schemas.map((s) => `${s.database} ${s.version}`).join(', ')}`);

    for (const service of TEMPORAL_SERVICES) {
      await this.supervisor.start(this.temporalService(service, db, frontendAddress));
      if (service === 'frontend') {
        const ns = await ensureNamespace(frontendAddress, this.config.temporalNamespace);
        if (ns.created) say(`registered the Temporal namespace "${this.config.temporalNamespace}"`);
        if (ns.searchAttributes.length) say(`registered search attributes: ${ns.searchAttributes.join(', ')}`);
      }
    }
    await waitFor(() => clusterServing(frontendAddress, this.config.temporalNamespace), 120_000, 'the Temporal cluster to serve workflow reads');
    await this.supervisor.start(
      program({
        name: 'temporal-ui',
        command: clusterToolPath('uiServer'),
        args: ['--root', '.', '--config', 'ui', '--env', 'production', 'start'],
        cwd: path.join(root, TEMPORAL_CONFIG_DIR),
        env: { ...process.env, ...temporalUiEnv(p) },
        pidFile: path.join(this.runDir, 'temporal-ui.pid'),
        marker: 'temporal-ui-server',
        logFile: path.join(this.logDir, 'temporal-ui.log'),
        healthy: () => portOpen(p.ui),
      }),
    );

  }

  private temporalService(service: (typeof TEMPORAL_SERVICES)[number], db: ReturnType<typeof postgresTarget>, frontendAddress: string): Component {
    const p = this.ports;
    return program({
      name: `temporal-${service}`,
      command: clusterToolPath('server'),
      args: [...TEMPORAL_SERVER_ARGS, 'start', '--service', service],
      cwd: path.join(root, TEMPORAL_CONFIG_DIR),
      env: { ...process.env, ...temporalServiceEnv(service, p, db) },
      pidFile: path.join(this.runDir, `temporal-${service}.pid`),
      marker: `--service ${service}`,
      logFile: path.join(this.logDir, `temporal-${service}.log`),
      // The worker service binds only its membership port.
      healthy: service === 'frontend' ? () => frontendServing(frontendAddress) : () => portOpen(service === 'worker' ? p.membership.worker : p.grpc[service]),
      startTimeoutMs: 120_000,
    });
  }

  private worker(name: string, env: NodeJS.ProcessEnv): Component {
    const logFile = path.join(this.logDir, `${name}.log`);
    return program({
      name,
      command: process.execPath,
      args: [...WORKER_NODE_ARGS, path.join(dist, 'worker', 'main.js')],
      cwd: root,
      env,
      pidFile: path.join(this.runDir, `${name}.pid`),
      marker: 'dist/worker/main.js',
      logFile,
      // Ready once it logs "worker started" (after its Schedules and search attributes).
      healthy: async ({ logOffset }) => readFrom(logFile, logOffset).includes('"msg":"worker started"'),
      startTimeoutMs: 300_000,
    });
  }

  private api(name: string, port: number, env: NodeJS.ProcessEnv): Component {
    return program({
      name,
      command: process.execPath,
      args: [path.join(dist, 'api', 'main.js')],
      cwd: root,
      env: { ...env, PORT: String(port) },
      pidFile: path.join(this.runDir, `${name}.pid`),
      marker: 'dist/api/main.js',
      logFile: path.join(this.logDir, `${name}.log`),
      healthy: async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
    });
  }

  /** A cluster that was SIGKILLed leaves its supervisor or children running: stop them first. */
  private async reapPreviousRun(): Promise<void> {
    const pidFile = path.join(this.runDir, 'cluster.pid');
    if (!fs.existsSync(pidFile)) return;
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    if (pid !== process.pid && isAlive(pid) && commandLine(pid).includes('scripts/cluster')) {
      say(`stopping a previous cluster run (pid ${pid})`);
      await stopPid(pid, 'SIGTERM', 90_000);
    }
    fs.rmSync(pidFile, { force: true });
    // Each component reaps its own leftover from its pid file when it starts.
  }

  async shutdown(code: number): Promise<never> {
    if (this.stopping) return new Promise<never>(() => {});
    this.stopping = true;
    say('stopping');
    await this.supervisor.stop((name, err) => say(`${name}: ${err.message}`));
    await this.postgres?.stop().catch((err) => say(`PostgreSQL: ${err.message}`));
    fs.rmSync(path.join(this.runDir, 'cluster.pid'), { force: true });
    say('stopped');
    process.exit(code);
  }
}

function readFrom(file: string, offset: number): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, size - offset));
      fs.readSync(fd, buf, 0, buf.length, offset);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  // The cluster keeps its own state beside `npm start`'s (.data/): another PostgreSQL, other composes.
  const env = { ...process.env, DATA_DIR: process.env.DATA_DIR ?? path.join('.data', 'cluster') };
  let config: AppConfig;
  try {
    config = loadConfig(env, root);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`[cluster] ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const cluster = new Cluster(config);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void cluster.shutdown(0));
  try {
    await cluster.start();
  } catch (err) {
    process.stderr.write(`[cluster] error: ${(err as Error).message}\n`);
    await cluster.shutdown(1);
  }
}

await main();
