// Runs createrepo_c as a child process: it is the expensive step, so it gets
// periodic heartbeats and is killed promptly when the activity is cancelled.
import { spawn } from 'node:child_process';
import os from 'node:os';

export interface CreaterepoHooks {
  heartbeat?: (detail: string) => void;
  signal?: AbortSignal;
}

export function createrepo(dir: string, hooks: CreaterepoHooks = {}): Promise<void> {
  const { signal, heartbeat } = hooks;
  signal?.throwIfAborted();
  const workers = String(Math.max(1, Math.min(8, os.availableParallelism())));
  // No sqlite databases: Pungi's DNF backend does not make them and dnf never reads them.
  const args = ['--quiet', '--no-database', '--workers', workers, dir];
  return new Promise((resolve, reject) => {
    const child = spawn('createrepo_c', args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const started = Date.now();
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    const timer = setInterval(() => heartbeat?.(`createrepo_c ${dir} running for ${Math.round((Date.now() - started) / 1000)}s`), 1000);
    const onAbort = () => {
      child.kill('SIGTERM');
      // createrepo_c exits quickly on TERM; KILL is the backstop.
      setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 2000).unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (err?: unknown) => {
      clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) reject(signal.reason);
      else if (err) reject(err);
      else resolve();
    };
    child.on('error', (e) => done(e));
    child.on('close', (code, sig) =>
      done(code === 0 ? undefined : new Error(`createrepo_c ${dir} failed (${sig ?? `exit ${code}`}): ${stderr.trim()}`)),
    );
  });
}
