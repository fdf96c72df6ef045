// Small process helpers shared by the local service launchers: free-port checks, pid files and
// clean-up of children left behind by a previous run that was killed with SIGKILL.
import fs from 'node:fs';
import net from 'node:net';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function assertPortFree(port: number, what: string): Promise<void> {
  if (!(await portIsFree(port))) {
    throw new Error(`port ${port} (${what}) is already in use by another process`);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

/** Stops a process: SIGTERM (or the given signal), then SIGKILL when it does not go in time. */
export async function stopPid(pid: number, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  if (await waitForExit(pid, timeoutMs)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  await waitForExit(pid, 5_000);
}

/**
 * A pid file written by a previous run: if the process it names is still alive and still the
 * program we started (the command line matches), stop it; then forget the file. This is what
 * makes a restart after SIGKILL need no manual clean-up.
 */
export async function reapStale(pidFile: string, cmdlineMarker: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim().split('\n')[0]);
  } catch {
    return false;
  }
  let reaped = false;
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && commandLine(pid).includes(cmdlineMarker)) {
    await stopPid(pid, signal);
    reaped = true;
  }
  fs.rmSync(pidFile, { force: true });
  return reaped;
}

export function writePidFile(pidFile: string, pid: number): void {
  fs.writeFileSync(pidFile, `${pid}\n`);
}
