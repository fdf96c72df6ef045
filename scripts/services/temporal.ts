// The Temporal dev server (from the Temporal CLI the bootstrap built), for `npm start` and tests.
// State lives in a SQLite file when `dbFile` is given, so it survives restarts.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporalCliPath } from '../lib/tools.mjs';
import { ensureSearchAttributes } from '../../worker/search-attributes.js';
import { assertPortFree, reapStale, sleep, stopPid, writePidFile } from './process-utils.js';

export interface LocalTemporal {
  address: string;
  uiUrl: string | null;
  pid: number;
  /** Resolves when the server process ends, with how ("signal SIGKILL", "status 1"). */
  exited: Promise<string>;
  stop(): Promise<void>;
}

export async function startLocalTemporal(opts: {
  port: number;
  uiPort?: number; // omitted: headless
  dbFile?: string; // omitted: in memory
  pidFile?: string;
  namespace?: string;
  logFile?: string;
}): Promise<LocalTemporal> {
  const cli = temporalCliPath();
  if (!fs.existsSync(cli)) throw new Error(`the Temporal CLI is missing at ${cli}; run: node scripts/bootstrap.mjs`);
  // A dev server left by a killed run still holds the SQLite file: stop it before starting anew.
  if (opts.pidFile) await reapStale(opts.pidFile, 'start-dev');
  await assertPortFree(opts.port, 'Temporal gRPC');
  if (opts.uiPort) await assertPortFree(opts.uiPort, 'Temporal UI');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'error'];
  args.push('--namespace', opts.namespace ?? 'default');
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true');
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(cli, args, { stdio: ['ignore', out, out] });
  let exitCode: number | null = null;
  const exited = new Promise<string>((resolve) =>
    child.on('exit', (code, signal) => {
      exitCode = code ?? -1;
      resolve(signal ? `signal ${signal}` : `status ${code}`);
    }),
  );
  if (opts.pidFile) writePidFile(opts.pidFile, child.pid!);
  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exitCode !== null) {
      throw new Error(`the Temporal dev server exited during start-up (status ${exitCode})${opts.logFile ? `; see ${opts.logFile}` : ''}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.healthService.check({});
        await ensureSearchAttributes(connection, opts.namespace ?? 'default');
      } finally {
        await connection.close();
      }
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await stopPid(child.pid!);
        throw new Error(`the Temporal dev server did not answer on ${address}: ${(err as Error).message}`);
      }
      await sleep(250);
    }
  }
  return {
    address,
    uiUrl: opts.uiPort ? `http://localhost:${opts.uiPort}` : null,
    pid: child.pid!,
    exited,
    async stop() {
      if (exitCode === null) await stopPid(child.pid!, 'SIGTERM', 20_000);
      if (opts.pidFile) fs.rmSync(opts.pidFile, { force: true });
    },
  };
}
