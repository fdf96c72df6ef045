// `npm start`: the whole service on one machine with no configuration. PostgreSQL (embedded,
// unless DATABASE_URL is set), the Temporal dev server with its UI, migrations, the demo tag,
// then the worker and the API as child processes. Ctrl-C stops everything in order; a run that
// was killed with SIGKILL is cleaned up by the next one.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { prettyFactory } from 'pino-pretty';
import { ConfigError, loadConfig, type AppConfig } from '../core/config.js';
import { migrate } from '../store/migrate.js';
import { startLocalPostgres, type LocalPostgres } from './services/postgres.js';
import { startLocalTemporal, type LocalTemporal } from './services/temporal.js';
import { assertPortFree, commandLine, isAlive, reapStale, sleep, stopPid, writePidFile } from './services/process-utils.js';
import { ensureDemoRepo } from './demo-repo.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const prettify = prettyFactory({ colorize: process.stdout.isTTY, translateTime: 'HH:MM:ss', ignore: 'pid,hostname,service' });
const say = (msg: string) => process.stdout.write(`[start] ${msg}\n`);

// Ports of the local servers `npm start` runs itself (not used when DATABASE_URL / TEMPORAL_ADDRESS are set).
const POSTGRES_PORT = Number(process.env.ODCS_POSTGRES_PORT || 5432);
const TEMPORAL_PORT = Number(process.env.ODCS_TEMPORAL_PORT || 7233);
const TEMPORAL_UI_PORT = Number(process.env.TEMPORAL_UI_PORT || 8233);

interface Child {
  name: string;
  proc: ChildProcess;
  stopping: boolean;
}

class Supervisor {
  private children: Child[] = [];
  private postgres: LocalPostgres | null = null;
  private temporal: LocalTemporal | null = null;
  private shuttingDown = false;
  readonly runDir: string;

  constructor(private readonly config: AppConfig) {
    this.runDir = path.join(config.dataDir, 'run');
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.runDir, { recursive: true });
    await this.reapPreviousRun();
    writePidFile(path.join(this.runDir, 'supervisor.pid'), process.pid);
    await assertPortFree(this.config.port, 'API, PORT');

    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: this.config.dataDir, ODCS_SUPERVISOR_PID: String(process.pid) };
    if (this.config.databaseUrl) {
      say(`PostgreSQL: using DATABASE_URL`);
    } else {
      say('starting PostgreSQL (embedded)');
      this.postgres = await startLocalPostgres({ dataDir: path.join(this.config.dataDir, 'postgres'), port: POSTGRES_PORT, database: 'odcs_flow' });
      env.DATABASE_URL = this.postgres.url;
    }
    say('applying migrations');
    const applied = await migrate(env.DATABASE_URL!);
    if (applied.length) say(`applied migrations: ${applied.join(', ')}`);

    if (process.env.TEMPORAL_ADDRESS) {
      say(`Temporal: using TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS}`);
    } else {
      say('starting the Temporal dev server');
      this.temporal = await startLocalTemporal({
        port: TEMPORAL_PORT,
        uiPort: TEMPORAL_UI_PORT,
        dbFile: path.join(this.config.dataDir, 'temporal', 'temporal.db'),
        pidFile: path.join(this.runDir, 'temporal.pid'),
        logFile: path.join(this.config.dataDir, 'temporal', 'server.log'),
        namespace: this.config.temporalNamespace,
      });
      env.TEMPORAL_ADDRESS = this.temporal.address;
    }

    const demo = await ensureDemoRepo(path.join(this.config.dataDir, 'repos', 'demo'));
    if (demo.built) say(`built the demo tag's RPMs into ${demo.dir}`);

    this.spawnChild('worker', ['worker/main.ts'], env);
    this.spawnChild('api', ['api/main.ts'], env);
    await this.waitForApi();
    const host = this.config.host === '0.0.0.0' ? 'localhost' : this.config.host;
    say('odcs-flow is running:');
    say(`  API          http://${host}:${this.config.port}/api/1/composes/`);
    say(`  API docs     http://${host}:${this.config.port}/api/1/`);
    say(`  composes     ${this.config.targetDirUrl}/`);
    say(`  Temporal UI  ${this.temporal?.uiUrl ?? this.config.temporalUiUrl}`);
    say(`  logs         ${path.join(this.config.dataDir, 'temporal', 'server.log')} (Temporal)`);
    say('Ctrl-C stops everything.');
  }

  /** Children of a run that was SIGKILLed are still alive or left pid files: stop them first. */
  private async reapPreviousRun(): Promise<void> {
    const supervisorPid = path.join(this.runDir, 'supervisor.pid');
    if (fs.existsSync(supervisorPid)) {
      const pid = Number(fs.readFileSync(supervisorPid, 'utf8'));
      if (pid !== process.pid && isAlive(pid) && commandLine(pid).includes('scripts/start.ts')) {
        say(`stopping a previous odcs-flow run (pid ${pid})`);
        await stopPid(pid, 'SIGTERM', 60_000);
      }
      fs.rmSync(supervisorPid, { force: true });
    }
    for (const name of ['api', 'worker']) {
      if (await reapStale(path.join(this.runDir, `${name}.pid`), `${name}/main.ts`)) say(`stopped a leftover ${name} process`);
    }
    // The Temporal and PostgreSQL launchers reap their own leftovers (pid file, postmaster.pid).
  }

  private spawnChild(name: string, args: string[], env: NodeJS.ProcessEnv, restarts = 0): void {
    const proc = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: a terminal Ctrl-C reaches only the supervisor
    });
    const child: Child = { name, proc, stopping: false };
    this.children.push(child);
    writePidFile(path.join(this.runDir, `${name}.pid`), proc.pid!);
    for (const stream of [proc.stdout!, proc.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        process.stdout.write(line.startsWith('{') ? safePretty(line) : `[${name}] ${line}\n`);
      });
    }
    const startedAt = Date.now();
    proc.on('exit', (code, signal) => {
      this.children = this.children.filter((c) => c !== child);
      if (child.stopping || this.shuttingDown) return;
      say(`${name} exited (${signal ?? `status ${code}`})`);
      // A crash after a healthy minute is restarted; a crash loop at start-up stops everything.
      const healthy = Date.now() - startedAt > 60_000;
      if (healthy || restarts < 3) {
        setTimeout(() => this.spawnChild(name, args, env, healthy ? 0 : restarts + 1), 1000);
      } else {
        say(`${name} keeps failing; stopping`);
        void this.shutdown(1);
      }
    });
  }

  private async waitForApi(): Promise<void> {
    const url = `http://127.0.0.1:${this.config.port}/healthz`;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (this.shuttingDown) throw new Error('stopped while starting');
      try {
        if ((await fetch(url)).ok) return;
      } catch {
        /* not yet */
      }
      await sleep(250);
    }
    throw new Error(`the API did not answer on ${url}`);
  }

  async shutdown(code: number): Promise<never> {
    if (this.shuttingDown) return new Promise<never>(() => {});
    this.shuttingDown = true;
    say('stopping');
    // API first (no new work), then the worker, then the servers they talk to.
    for (const name of ['api', 'worker']) {
      for (const child of this.children.filter((c) => c.name === name)) {
        child.stopping = true;
        await stopPid(child.proc.pid!, 'SIGTERM', 30_000);
      }
      fs.rmSync(path.join(this.runDir, `${name}.pid`), { force: true });
    }
    await this.temporal?.stop().catch((err) => say(`Temporal: ${err.message}`));
    await this.postgres?.stop().catch((err) => say(`PostgreSQL: ${err.message}`));
    fs.rmSync(path.join(this.runDir, 'supervisor.pid'), { force: true });
    say('stopped');
    process.exit(code);
  }
}

function safePretty(line: string): string {
  try {
    return prettify(line);
  } catch {
    return `${line}\n`;
  }
}

/** npm and its shell sit above us; if they are killed, we must not live on as an orphan. */
function watchAncestors(onGone: () => void): void {
  const parentOf = (pid: number) => {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  };
  const watched = [process.ppid];
  // Under `npm start` the parent is npm's shell; npm itself is the grandparent.
  const grandparent = parentOf(process.ppid);
  if (grandparent > 1 && /\bnpm\b/.test(commandLine(grandparent))) watched.push(grandparent);
  setInterval(() => {
    if (watched.some((p) => !isAlive(p))) onGone();
  }, 1000).unref();
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env, root);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`[start] ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const supervisor = new Supervisor(config);
  process.on('SIGINT', () => void supervisor.shutdown(0));
  process.on('SIGTERM', () => void supervisor.shutdown(0));
  process.on('SIGHUP', () => void supervisor.shutdown(0));
  watchAncestors(() => void supervisor.shutdown(0));
  try {
    await supervisor.start();
  } catch (err) {
    process.stderr.write(`[start] error: ${(err as Error).message}\n`);
    await supervisor.shutdown(1);
  }
}

await main();
