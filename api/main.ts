// The API process: HTTP on HOST:PORT, configured only by environment variables.
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

async function main() {
  const config = loadConfig(process.env, process.cwd());
  const log = createLogger('api', config.logLevel);
  if (!config.databaseUrl) throw new ConfigError('invalid configuration: DATABASE_URL is required by the API process');
  const settings = loadSettings(config);
  const auth = createAuthenticator(settings); // openidc/header without their settings stop here
  if (settings.auth_backend === 'noauth' && !isLoopback(config.host) && !config.noauthAllowPublic) {
    throw new ConfigError(`invalid configuration: HOST=${config.host}: auth_backend "noauth" listens on loopback only (set NOAUTH_ALLOW_PUBLIC=true to force)`);
  }
  const pool = createPool(config.databaseUrl, config.dbPoolSize);
  const temporal = createTemporalGateway(config.temporalAddress, config.temporalNamespace);
  const notifier = new EventNotifier(config.databaseUrl, log);
  const app = createApp({ config, settings, pool, temporal, notifier, log, auth });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host });
  server.on('error', (err: NodeJS.ErrnoException) => {
    log.fatal(err.code === 'EADDRINUSE' ? `port ${config.port} (PORT) is already in use` : err.message);
    process.exit(1);
  });
  server.on('listening', () => log.info({ port: config.port, host: config.host, authBackend: settings.auth_backend }, `API listening on http://${config.host}:${config.port}`));
  const shutdown = async () => {
    log.info('API shutting down');
    server.close();
    await Promise.allSettled([notifier.close(), pool.end(), temporal.close()]);
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
