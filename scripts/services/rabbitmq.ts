// A private RabbitMQ broker from Debian's `rabbitmq-server` package, for the tests and benchmarks of
// the AMQP relay. Everything is its own: the AMQP port, the Erlang distribution port and an epmd on
// a port of its own (so no system broker or epmd is touched or needed), a unique node name, and
// the Mnesia database, logs, config, plugins file and Erlang cookie in one directory. The broker can
// be killed (SIGKILL, as in a crash) and started again on the same data and ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import * as amqp from 'amqplib';
import { freePort, isAlive, sleep } from './process-utils.js';

/** Debian's real start script (/usr/sbin/rabbitmq-server is a wrapper that switches to the rabbitmq user). */
export const DEBIAN_RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

function onPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, command);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** The broker's start script, or null when RabbitMQ is not installed. */
export function rabbitmqServerPath(): string | null {
  if (process.env.ODCS_RABBITMQ_SERVER) return process.env.ODCS_RABBITMQ_SERVER;
  if (fs.existsSync(DEBIAN_RABBITMQ_SERVER)) return DEBIAN_RABBITMQ_SERVER;
  const found = onPath('rabbitmq-server');
  // Debian's /usr/sbin wrapper would run the broker as another user, with the system's directories.
  if (found && !fs.realpathSync(found).endsWith('rabbitmq-script-wrapper')) return found;
  return null;
}

export interface LocalRabbitMQ {
  /** amqp://guest:guest@127.0.0.1:<port> (guest may log in over loopback). */
  url: string;
  port: number;
  nodeName: string;
  dir: string;
  /** True while the broker process runs. */
  running(): boolean;
  /** SIGKILL the broker (a crash: no clean shutdown); its data stay. */
  kill(): Promise<void>;
  /** Start it again on the same ports and data; resolves when it accepts AMQP connections. */
  start(): Promise<void>;
  /** Stop the broker (gracefully, then SIGKILL) and the epmd started for it. */
  stop(): Promise<void>;
}

function waitForPort(port: number, timeoutMs: number, failed: () => string | null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const why = failed();
      if (why) return reject(new Error(why));
      const sock = net.connect({ port, host: '127.0.0.1' });
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** Kills a process group we started (the broker's shell, beam.smp and its port programs). */
function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

export async function startLocalRabbitMQ(opts: { dir: string; onLog?: (line: string) => void; startTimeoutMs?: number }): Promise<LocalRabbitMQ> {
  const server = rabbitmqServerPath();
  if (!server) throw new Error('RabbitMQ is not installed: apt-get install rabbitmq-server (node scripts/bootstrap.mjs does)');
  const epmdBin = onPath('epmd') ?? '/usr/bin/epmd';
  const dir = path.resolve(opts.dir);
  for (const sub of ['mnesia', 'log', 'home', 'plugins-expand']) fs.mkdirSync(path.join(dir, sub), { recursive: true, mode: 0o700 });
  const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  const nodeName = `odcs-test-${randomBytes(4).toString('hex')}@localhost`;
  const conf = path.join(dir, 'rabbitmq.conf');
  fs.writeFileSync(
    conf,
    [
      `listeners.tcp.default = 127.0.0.1:${port}`,
      // A nearly full test disk must not make the broker block publishers.
      'disk_free_limit.absolute = 10MB',
      'log.console = false',
      'log.file.level = warning',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
  fs.writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '# empty: nothing from /etc/rabbitmq\n');

  // Only our variables: none of the caller's RABBITMQ_* or ERL_* settings leak in.
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(RABBITMQ_|ERL_)/.test(k)));
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    HOME: path.join(dir, 'home'), // the Erlang cookie goes here
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CONFIG_FILE: conf,
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'), // absent: nothing from /etc
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_PID_FILE: path.join(dir, 'rabbitmq.pid'),
    RABBITMQ_PLUGINS_EXPAND_DIR: path.join(dir, 'plugins-expand'),
    // The distribution port on loopback only.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };

  // Our own epmd, in the foreground, so that we know its pid and stop it; the broker registers there.
  const epmd: ChildProcess = spawn(epmdBin, ['-port', String(epmdPort), '-address', '127.0.0.1'], { stdio: 'ignore' });
  let epmdExited = false;
  epmd.on('exit', () => (epmdExited = true));
  await waitForPort(epmdPort, 10_000, () => (epmdExited ? `epmd exited at start (port ${epmdPort})` : null));

  let child: ChildProcess | null = null;
  let exited = true;
  let output = '';
  const cleanupOnExit = () => {
    if (child?.pid && !exited) killGroup(child.pid, 'SIGKILL');
    if (!epmdExited) epmd.kill('SIGKILL');
  };
  process.on('exit', cleanupOnExit);

  const logTail = () => {
    let log = '';
    try {
      log = fs.readFileSync(path.join(dir, 'log', `${nodeName}.log`), 'utf8');
    } catch {
      /* none yet */
    }
    return (output + '\n' + log).trim().split('\n').slice(-8).join(' | ');
  };

  const start = async () => {
    if (child && !exited) throw new Error('the broker is already running');
    output = '';
    exited = false;
    // detached: a process group of its own, so that kill() reaches beam.smp and its helpers.
    const c = spawn(server, [], { env, cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.on('exit', () => {
      if (child === c) exited = true;
    });
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) opts.onLog?.(line);
    };
    c.stdout?.on('data', onData);
    c.stderr?.on('data', onData);
    const timeout = opts.startTimeoutMs ?? 90_000;
    await waitForPort(port, timeout, () => (exited ? `RabbitMQ exited during start-up: ${logTail()}` : null));
    // Listening is not quite ready: wait until an AMQP handshake succeeds.
    const deadline = Date.now() + timeout;
    for (;;) {
      try {
        const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`, { timeout: 5_000 });
        await conn.close();
        return;
      } catch (err) {
        if (exited) throw new Error(`RabbitMQ exited during start-up: ${logTail()}`);
        if (Date.now() > deadline) throw new Error(`RabbitMQ did not accept AMQP connections on ${port}: ${(err as Error).message}; ${logTail()}`);
        await sleep(200);
      }
    }
  };

  const waitExited = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (!exited && Date.now() < deadline) await sleep(50);
    return exited;
  };

  const kill = async () => {
    if (!child?.pid || exited) return;
    killGroup(child.pid, 'SIGKILL');
    await waitExited(10_000);
    // beam.smp is gone with its group; wait until the port is free for a restart.
    const beam = Number(fs.existsSync(env.RABBITMQ_PID_FILE!) ? fs.readFileSync(env.RABBITMQ_PID_FILE!, 'utf8').trim() : 0);
    for (let i = 0; i < 100 && beam > 0 && isAlive(beam); i++) await sleep(50);
  };

  try {
    await start();
  } catch (err) {
    cleanupOnExit();
    process.off('exit', cleanupOnExit);
    throw err;
  }

  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    nodeName,
    dir,
    running: () => !exited,
    kill,
    start,
    async stop() {
      if (child?.pid && !exited) {
        // SIGTERM: the start script asks the broker to stop cleanly.
        killGroup(child.pid, 'SIGTERM');
        if (!(await waitExited(30_000))) await kill();
      }
      if (epmd.pid && !epmdExited) {
        epmd.kill('SIGTERM');
        for (let i = 0; i < 50 && !epmdExited; i++) await sleep(50);
        if (!epmdExited) epmd.kill('SIGKILL');
      }
      process.off('exit', cleanupOnExit);
    },
  };
}
