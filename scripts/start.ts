// `npm start`: the whole service on one machine with no configuration. PostgreSQL (embedded,
// unless DATABASE_URL is set), the Temporal dev server with its UI, migrations, the demo tag,
// then the worker and the API as child processes, each restarted when it dies (scripts/supervisor.ts).
// Ctrl-C stops everything in order; a run that was killed with SIGKILL is cleaned up by the next one.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prettyFactory } from 'pino-pretty';
import { ConfigError, loadConfig, type AppConfig } from '../core/config.js';
import { migrate } from '../store/migrate.js';
import { startLocalPostgres } from './services/postgres.js';
import { startLocalTemporal } from './services/temporal.js';
import { assertPortFree, commandLine, isAlive, reapStale, stopPid, writePidFile } from './services/process-utils.js';
import { nodeProgram, Supervisor } from './supervisor.js';
import { ensureDemoRepo } from './demo-repo.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const prettify = prettyFactory({ colorize: process.stdout.isTTY, translateTime: 'HH:MM:ss', ignore: 'pid,hostname,service' });
const say = (msg: string) => process.stdout.write(`[start] ${msg}\n`);

// Ports of the local servers `npm start` runs itself (not used when DATABASE_URL / TEMPORAL_ADDRESS are set).
const POSTGRES_PORT = Number(process.env.ODCS_POSTGRES_PORT || 5432);
const TEMPORAL_PORT = Number(process.env.ODCS_TEMPORAL_PORT || 7233);
const TEMPORAL_UI_PORT = Number(process.env.TEMPORAL_UI_PORT || 8233);

/** `npm start`'s stack: the components in start order, supervised (scripts/supervisor.ts). */
class Stack {
  private readonly supervisor: Supervisor;
  private shuttingDown = false;
  readonly runDir: string;

  constructor(private readonly config: AppConfig) {
    this.runDir = path.join(config.dataDir, 'run');
    this.supervisor = new Supervisor({
      say,
      restartsFile: path.join(this.runDir, 'restarts.json'),
      onGiveUp: (reason) => {
        say(reason);
        void this.shutdown(1);
      },
    });
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.runDir, { recursive: true });
    await this.reapPreviousRun();
    writePidFile(path.join(this.runDir, 'supervisor.pid'), process.pid);
    await assertPortFree(this.config.port, 'API, PORT');

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: this.config.dataDir,
      ODCS_SUPERVISOR_PID: String(process.pid),
      ODCS_COMPONENT_RESTARTS_FILE: path.join(this.runDir, 'restarts.json'),
    };
    if (this.config.databaseUrl) {
      say(`PostgreSQL: using DATABASE_URL`);
    } else {
      say('starting PostgreSQL (embedded)');
      const dataDir = path.join(this.config.dataDir, 'postgres');
      const postgres = await this.supervisor.start({
        name: 'postgres',
        start: () => startLocalPostgres({ dataDir, port: POSTGRES_PORT, database: 'odcs_flow' }),
      });
      env.DATABASE_URL = postgres.url;
    }
    say('applying migrations');
    const applied = await migrate(env.DATABASE_URL!);
    if (applied.length) say(`applied migrations: ${applied.join(', ')}`);

    let temporalUi: string | null = null;
    if (process.env.TEMPORAL_ADDRESS) {
      say(`Temporal: using TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS}`);
    } else {
      say('starting the Temporal dev server');
      const temporal = await this.supervisor.start({
        name: 'temporal',
        start: () =>
          startLocalTemporal({
            port: TEMPORAL_PORT,
            uiPort: TEMPORAL_UI_PORT,
            dbFile: path.join(this.config.dataDir, 'temporal', 'temporal.db'),
            pidFile: path.join(this.runDir, 'temporal.pid'),
            logFile: path.join(this.config.dataDir, 'temporal', 'server.log'),
            namespace: this.config.temporalNamespace,
          }),
      });
      env.TEMPORAL_ADDRESS = temporal.address;
      temporalUi = temporal.uiUrl;
    }

    const demo = await ensureDemoRepo(path.join(this.config.dataDir, 'repos', 'demo'));
    if (demo.built) say(`built the demo tag's RPMs into ${demo.dir}`);

    await this.supervisor.start(this.program('worker', 'worker/main.ts', env));
    const healthz = `http://127.0.0.1:${this.config.port}/healthz`;
    await this.supervisor.start(
      this.program('api', 'api/main.ts', env, async () => (await fetch(healthz, { signal: AbortSignal.timeout(2_000) })).ok),
    );
    const host = this.config.host === '0.0.0.0' ? 'localhost' : this.config.host;
    say('odcs-flow is running:');
    say(`  API          http://${host}:${this.config.port}/api/1/composes/`);
    say(`  API docs     http://${host}:${this.config.port}/api/1/`);
    say(`  composes     ${this.config.targetDirUrl}/`);
    say(`  Temporal UI  ${temporalUi ?? this.config.temporalUiUrl}`);
    say(`  logs         ${path.join(this.config.dataDir, 'temporal', 'server.log')} (Temporal)`);
    say('Ctrl-C stops everything.');
  }

  private program(name: string, script: string, env: NodeJS.ProcessEnv, healthy?: () => Promise<boolean>) {
    return nodeProgram({
      name,
      script,
      cwd: root,
      env,
      pidFile: path.join(this.runDir, `${name}.pid`),
      healthy,
      onLine: (line) => process.stdout.write(line.startsWith('{') ? safePretty(line) : `[${name}] ${line}\n`),
    });
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

  async shutdown(code: number): Promise<never> {
    if (this.shuttingDown) return new Promise<never>(() => {});
    this.shuttingDown = true;
    say('stopping');
    // The API first (no new work), then the worker, then the servers they talk to.
    await this.supervisor.stop((name, err) => say(`${name}: ${err.message}`));
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
  const supervisor = new Stack(config);
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
