// Any program (a Temporal service, the UI server, a compiled odcs-flow worker or API) as a supervised
// component: spawned in its own process group, output to a log file or line by line to a callback,
// pid in a pid file (a leftover of a killed run is reaped first), healthy when `healthy` says so.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import { reapStale, sleep, stopPid, writePidFile } from '../services/process-utils.js';
import { exitDescription, type Component, type Running } from '../supervisor.js';

export interface ProgramOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where the pid goes; a process it names that is still alive with `marker` in its command line is stopped first. */
  pidFile: string;
  marker: string;
  /** Appends stdout and stderr to this file ... */
  logFile?: string;
  /** ... or hands them over line by line. */
  onLine?(line: string): void;
  /**
   * Resolves true once ready; polled every 250 ms until startTimeoutMs. Omitted: ready once spawned.
   * logOffset: the log file's size when this run started (its own lines come after).
   */
  healthy?: (run: { logOffset: number }) => Promise<boolean>;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

export function program(opts: ProgramOptions): Component {
  return {
    name: opts.name,
    async start(): Promise<Running> {
      await reapStale(opts.pidFile, opts.marker);
      const logOffset = opts.logFile ? (fs.statSync(opts.logFile, { throwIfNoEntry: false })?.size ?? 0) : 0;
      const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'pipe';
      const proc = spawn(opts.command, opts.args, {
        cwd: opts.cwd,
        env: opts.env,
        stdio: ['ignore', out, out],
        detached: true, // its own process group: a terminal Ctrl-C reaches only the supervisor
      });
      if (typeof out === 'number') fs.closeSync(out);
      let ended: string | null = null;
      const exited = new Promise<string>((resolve) => {
        proc.once('error', (err) => {
          ended = err.message;
          resolve(ended);
        });
        proc.once('exit', (code, signal) => {
          ended = exitDescription(code, signal);
          // A restart may already have written its own pid: remove only ours.
          try {
            if (Number(fs.readFileSync(opts.pidFile, 'utf8')) === proc.pid) fs.rmSync(opts.pidFile, { force: true });
          } catch {
            /* already gone */
          }
          resolve(ended);
        });
      });
      if (proc.pid) writePidFile(opts.pidFile, proc.pid);
      if (!opts.logFile) {
        for (const stream of [proc.stdout!, proc.stderr!]) readline.createInterface({ input: stream }).on('line', (l) => opts.onLine?.(l));
      }
      const running: Running = {
        pid: proc.pid ?? -1,
        exited,
        async stop() {
          if (ended === null && proc.pid) await stopPid(proc.pid, 'SIGTERM', opts.stopTimeoutMs ?? 30_000);
          await exited;
        },
      };
      const timeoutMs = opts.startTimeoutMs ?? 120_000;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (ended !== null) throw new Error(`${opts.name} exited during start-up (${ended})${opts.logFile ? `; see ${opts.logFile}` : ''}`);
        if (!opts.healthy || (await opts.healthy({ logOffset }).catch(() => false))) return running;
        if (Date.now() > deadline) {
          await running.stop();
          throw new Error(`${opts.name} was not ready within ${timeoutMs / 1000} s${opts.logFile ? `; see ${opts.logFile}` : ''}`);
        }
        await sleep(250);
      }
    },
  };
}
