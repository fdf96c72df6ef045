// Runs `npm start`'s supervisor (scripts/start.ts) as a user would, on free ports and a private data
// directory, for the platform tests: its output, readiness, and the pids of what it started.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../scripts/services/process-utils.js';
import { ROOT, testTmpDir } from '../harness/stack.js';

export interface Supervised {
  proc: ChildProcess;
  output(): string;
  /** Resolves once the banner's last line is printed; rejects if the supervisor exits first. */
  ready: Promise<void>;
  exited: Promise<number | null>;
}

export class NpmStart {
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
  ports: number[];
  private readonly running = new Set<ChildProcess>();

  private constructor(dataDir: string, ports: number[], extraEnv: NodeJS.ProcessEnv) {
    this.dataDir = dataDir;
    this.ports = ports;
    const [port, pgPort, temporalPort, uiPort] = ports;
    this.env = {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      ODCS_POSTGRES_PORT: String(pgPort),
      ODCS_TEMPORAL_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      LOG_LEVEL: 'warn',
      ...extraEnv,
    };
    for (const k of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'ODCS_CONFIG', 'TASK_QUEUE', 'GENERATE_TASK_QUEUE']) delete this.env[k];
  }

  static async create(prefix: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<NpmStart> {
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    return new NpmStart(testTmpDir(prefix), ports, extraEnv);
  }

  get base(): string {
    return `http://127.0.0.1:${this.env.PORT}`;
  }

  get databaseUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.env.ODCS_POSTGRES_PORT}/odcs_flow`;
  }

  start(): Supervised {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.running.add(proc);
    let out = '';
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => (this.running.delete(proc), resolve(code))));
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Ctrl-C stops everything')) resolve(); // the last line of the banner
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      void exited.then((code) => reject(new Error(`start exited with ${code}:\n${out}`)));
    });
    return { proc, output: () => out, ready, exited };
  }

  /** The pid of a component the supervisor runs now: worker, api, temporal or postgres (the postmaster). */
  pidOf(component: 'worker' | 'api' | 'temporal' | 'postgres'): number {
    const file =
      component === 'postgres' ? path.join(this.dataDir, 'postgres', 'postmaster.pid') : path.join(this.dataDir, 'run', `${component}.pid`);
    return Number(fs.readFileSync(file, 'utf8').split('\n')[0].trim());
  }

  /** Every PostgreSQL server process (postmaster and backends: they all run in the data directory). */
  postgresPids(): number[] {
    const dir = fs.realpathSync(path.join(this.dataDir, 'postgres'));
    return fs
      .readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .filter((e) => {
        try {
          return fs.readlinkSync(`/proc/${e}/cwd`) === dir;
        } catch {
          return false;
        }
      })
      .map(Number);
  }

  /** Processes whose command line mentions the private data directory (postgres, temporal, children). */
  leftovers(): string[] {
    const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
    return out.split('\n').filter((l) => l.includes(this.dataDir) && !l.includes('ps -eo'));
  }

  /** Stops every supervisor still running (after a failed assertion), children included. */
  async stopAll(): Promise<void> {
    for (const p of this.running) {
      p.kill('SIGINT');
      const exited = new Promise((r) => p.once('exit', r));
      await Promise.race([exited, new Promise((r) => setTimeout(r, 60_000))]);
      p.kill('SIGKILL');
    }
  }
}
