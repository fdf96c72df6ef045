// A small process supervisor: starts components one by one (each resolves once healthy), restarts
// any that dies with backoff and says so in one line, gives up on a crash loop at start-up, stops
// them in reverse order, and keeps restart counts in a file the API's metrics read.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import { sleep, stopPid, writePidFile } from './services/process-utils.js';

/** A started component: its process, how it ended, and how to stop it. */
export interface Running {
  pid: number;
  /** Resolves when the process ends, with how it ended ("signal SIGKILL", "status 1"). */
  exited: Promise<string>;
  stop(): Promise<void>;
}

export interface Component<R extends Running = Running> {
  name: string;
  /** Starts the component; resolves once it is healthy, rejects when it cannot start. */
  start(): Promise<R>;
}

export interface SupervisorOptions {
  say(line: string): void;
  /** Called once when a component keeps failing; the caller stops everything (stop()) and exits. */
  onGiveUp(reason: string): void;
  /** JSON {component: restarts}, rewritten on each restart (e.g. <run dir>/restarts.json). */
  restartsFile?: string;
  /** First delay before a restart, doubled on each failure in a row up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A run shorter than this counts as a failure in a row; a longer one resets the count. */
  healthyAfterMs?: number;
  /** Failures in a row, with no healthy run since the supervisor started, before giving up. */
  maxStartFailures?: number;
}

interface Slot {
  component: Component;
  running: Running | null;
  restarts: number;
  /** Deaths and failed starts since the last run that lasted healthyAfterMs. */
  failures: number;
  /** Set once a run has lasted healthyAfterMs: from then on the component is restarted forever. */
  everHealthy: boolean;
}

const clock = () => new Date().toISOString().slice(11, 19);

export class Supervisor {
  private readonly slots: Slot[] = [];
  private stopping = false;
  private readonly opts: Required<Omit<SupervisorOptions, 'restartsFile'>> & { restartsFile?: string };

  constructor(options: SupervisorOptions) {
    this.opts = { initialBackoffMs: 1_000, maxBackoffMs: 15_000, healthyAfterMs: 60_000, maxStartFailures: 5, ...options };
  }

  /** Starts a component and supervises it from then on. A failure here is thrown (nothing is retried). */
  async start<R extends Running>(component: Component<R>): Promise<R> {
    if (this.stopping) throw new Error('stopped while starting');
    const slot: Slot = { component, running: null, restarts: 0, failures: 0, everHealthy: false };
    this.slots.push(slot);
    this.writeRestarts();
    const running = await component.start();
    if (this.stopping) {
      await running.stop(); // stop() came while this component was starting
      throw new Error('stopped while starting');
    }
    slot.running = running;
    this.watch(slot, running, Date.now());
    return running;
  }

  /** Restarts so far, per component (every started component is listed, 0 included). */
  restarts(): Record<string, number> {
    return Object.fromEntries(this.slots.map((s) => [s.component.name, s.restarts]));
  }

  /** Stops every component, the last started first; no restart happens from here on. */
  async stop(onError: (name: string, err: Error) => void = () => undefined): Promise<void> {
    this.stopping = true;
    for (const slot of [...this.slots].reverse()) {
      const running = slot.running;
      slot.running = null;
      await running?.stop().catch((err: Error) => onError(slot.component.name, err));
    }
  }

  private watch(slot: Slot, running: Running, startedAt: number): void {
    void running.exited.then((how) => {
      if (this.stopping || slot.running !== running) return;
      slot.running = null;
      if (Date.now() - startedAt >= this.opts.healthyAfterMs) {
        slot.everHealthy = true;
        slot.failures = 0;
      }
      slot.failures++;
      void this.restart(slot, how);
    });
  }

  private async restart(slot: Slot, how: string): Promise<void> {
    const { name } = slot.component;
    const diedAt = Date.now();
    this.opts.say(`${name} died (${how}) at ${clock()}; restarting it`);
    for (;;) {
      if (!slot.everHealthy && slot.failures >= this.opts.maxStartFailures) {
        this.opts.onGiveUp(`${name} keeps failing (${slot.failures} times in a row, last: ${how}); stopping everything`);
        return;
      }
      await sleep(Math.min(this.opts.initialBackoffMs * 2 ** (slot.failures - 1), this.opts.maxBackoffMs));
      if (this.stopping) return;
      try {
        const running = await slot.component.start();
        if (this.stopping) {
          await running.stop();
          return;
        }
        slot.restarts++;
        slot.running = running;
        this.writeRestarts();
        this.opts.say(`${name} is back at ${clock()} (down ${((Date.now() - diedAt) / 1000).toFixed(1)} s, restart ${slot.restarts})`);
        this.watch(slot, running, Date.now());
        return;
      } catch (err) {
        slot.failures++;
        how = (err as Error).message;
        this.opts.say(`${name} did not start again (${how}); retrying`);
      }
    }
  }

  private writeRestarts(): void {
    const file = this.opts.restartsFile;
    if (!file) return;
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(this.restarts())}\n`);
    fs.renameSync(tmp, file); // readers never see half a file
  }
}

/** How a child process ended, as the supervisor's lines say it. */
export function exitDescription(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `status ${code}`;
}

/**
 * A Node.js program run with tsx as a supervised component (the worker, the API): its output goes
 * line by line to onLine, its pid to pidFile, and it is healthy when `healthy` first says so.
 */
export function nodeProgram(opts: {
  name: string;
  script: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  pidFile?: string;
  onLine(line: string): void;
  /** Resolves true once the program is ready; polled until startTimeoutMs. Omitted: ready once spawned. */
  healthy?: () => Promise<boolean>;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}): Component {
  return {
    name: opts.name,
    async start() {
      const proc = spawn(process.execPath, ['--import', 'tsx', opts.script], {
        cwd: opts.cwd,
        env: opts.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group: a terminal Ctrl-C reaches only the supervisor
      });
      let ended: string | null = null;
      const exited = new Promise<string>((resolve) =>
        proc.once('exit', (code, signal) => {
          ended = exitDescription(code, signal);
          if (opts.pidFile) fs.rmSync(opts.pidFile, { force: true });
          resolve(ended);
        }),
      );
      if (opts.pidFile) writePidFile(opts.pidFile, proc.pid!);
      for (const stream of [proc.stdout!, proc.stderr!]) readline.createInterface({ input: stream }).on('line', opts.onLine);
      const running: Running = {
        pid: proc.pid!,
        exited,
        async stop() {
          if (ended === null) await stopPid(proc.pid!, 'SIGTERM', opts.stopTimeoutMs ?? 30_000);
          await exited;
        },
      };
      if (!opts.healthy) return running;
      const deadline = Date.now() + (opts.startTimeoutMs ?? 120_000);
      for (;;) {
        if (ended !== null) throw new Error(`${opts.name} exited during start-up (${ended})`);
        if (await opts.healthy().catch(() => false)) return running;
        if (Date.now() > deadline) {
          await running.stop();
          throw new Error(`${opts.name} was not ready within ${(opts.startTimeoutMs ?? 120_000) / 1000} s`);
        }
        await sleep(250);
      }
    },
  };
}
