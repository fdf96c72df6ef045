// The API process: HTTP on HOST:PORT, configured only by environment variables. With
// API_PROCESSES > 1 this process is the cluster's primary (api/cluster.ts) and its forks serve.
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { ConfigError, loadConfig } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { createPool } from '../store/pool.js';
import { loadSettings } from '../config/settings-loader.js';
import { createApp } from './app.js';
import { exitWithSupervisor } from '../config/supervision.js';
import { EventNotifier } from './event-notifier.js';
import { createAuthenticator, isLoopback } from './auth.js';
import { createTemporalGateway } from '../temporal/client.js';
import { clusterProcessMetrics, runApiPrimary } from './cluster.js';

/** How long a process given SIGTERM lets its requests in flight finish before it closes what is left. */
const DRAIN_MS = 10_000;

async function main() {
  const config = loadConfig(process.env, process.cwd());
  // In an API cluster every line names its process.
  const log = config.apiProcesses > 1 ? createLogger('api', config.logLevel).child({ pid: process.pid }) : createLogger('api', config.logLevel);
  if (!config.databaseUrl) throw new ConfigError('invalid configuration: DATABASE_URL is required by the API process');
  const settings = loadSettings(config);
  const auth = createAuthenticator(settings); // openidc/header without their settings stop here
  if (settings.auth_backend === 'noauth' && !isLoopback(config.host) && !config.noauthAllowPublic) {
    throw new ConfigError(`invalid configuration: HOST=${config.host}: auth_backend "noauth" listens on loopback only (set NOAUTH_ALLOW_PUBLIC=true to force)`);
  }
  if (config.apiProcesses > 1 && cluster.isPrimary) {
    // Checked above, once, so a bad configuration stops here instead of in every fork.
    const primary = runApiPrimary({ processes: config.apiProcesses, log, drainMs: DRAIN_MS });
    exitWithSupervisor(() => void primary.stop(0));
    return;
  }
  const pool = createPool(config.databaseUrl, config.dbPoolSize);
  const temporal = createTemporalGateway(config.temporalAddress, config.temporalNamespace);
  const notifier = new EventNotifier(config.databaseUrl, log);
  const processMetrics = cluster.isWorker ? clusterProcessMetrics : undefined;
  const app = createApp({ config, settings, pool, temporal, notifier, log, auth, processMetrics });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }) as Server;
  let draining = false;
  server.on('error', (err: NodeJS.ErrnoException) => {
    log.fatal(err.code === 'EADDRINUSE' ? `port ${config.port} (PORT) is already in use` : err.message);
    process.exit(1);
  });
  // While draining, every answer closes its connection, so keep-alive clients reconnect elsewhere.
  server.on('request', (_req, res) => {
    if (draining) res.setHeader('Connection', 'close');
  });
  server.on('listening', () => log.info({ port: config.port, host: config.host, authBackend: settings.auth_backend, pid: process.pid }, `API listening on http://${config.host}:${config.port}`));
  /** Stops accepting, ends the event streams, lets requests in flight finish (DRAIN_MS at most), then exits. */
  const shutdown = async () => {
    if (draining) return;
    draining = true;
    log.info('API shutting down: draining');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await notifier.close(); // ends the event streams
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, DRAIN_MS)))]);
    clearTimeout(timer);
    clearInterval(idle);
    server.closeAllConnections();
    await Promise.allSettled([pool.end(), temporal.close()]);
    log.info('API stopped');
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  exitWithSupervisor(() => void shutdown());
}

main().catch((err) => {
  process.stderr.write(`api: ${err instanceof ConfigError ? err.message : (err as Error).stack}\n`);
  process.exit(1);
});
