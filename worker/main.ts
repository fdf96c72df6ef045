// The worker process: hosts the compose workflows and activities. Configured only by environment
// variables; registers search attributes at start (idempotent).
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { ConfigError, loadConfig } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { createPool } from '../store/pool.js';
import { loadSettings } from '../config/settings-loader.js';
import { startAmqpRelay } from './amqp-relay.js';
import { ensureProviderSchedules, ensureSchedules } from './schedules.js';
import { createTemporalGateway } from '../temporal/client.js';
import { ensureSearchAttributes } from '../temporal/search-attributes.js';
import { WorkflowStarter } from './workflow-starter.js';
import { exitWithSupervisor } from '../config/supervision.js';
import { createWorkers } from './workers.js';

async function main() {
  const config = loadConfig(process.env, process.cwd());
  const log = createLogger('worker', config.logLevel);
  if (!config.databaseUrl) throw new ConfigError('invalid configuration: DATABASE_URL is required by the worker process');
  const settings = loadSettings(config);
  Runtime.install({
    logger: sdkLoggerToPino(log),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
  const pool = createPool(config.databaseUrl, config.dbPoolSize);
  // The outbox relay to AMQP (when AMQP_URL is set) runs beside the Temporal workers, from the start:
  // messages keep flowing while Temporal is away.
  const relay = startAmqpRelay({ config, extraTargetDirNames: Object.keys(settings.extra_target_dirs), log });
  const connection = await connectWithRetry(config.temporalAddress, log);
  await ensureSearchAttributes(connection as never, config.temporalNamespace).catch((err) =>
    log.warn({ err }, 'could not register search attributes'),
  );
  const temporal = createTemporalGateway(config.temporalAddress, config.temporalNamespace);
  const client = temporal.client;
  await ensureSchedules(client, config);
  const providerSchedules = await ensureProviderSchedules(client, config);
  log.info(providerSchedules, 'provider cache schedules ensured');
  const workers = await createWorkers({ config, settings, pool, connection, client });
  // Delivers the workflow starts and signals the API committed in PostgreSQL.
  const starter = new WorkflowStarter({ pool, databaseUrl: config.databaseUrl, client, config, settings, log }).start();
  log.info({ taskQueues: [config.taskQueue, config.generateTaskQueue], numConcurrentPungi: settings.num_concurrent_pungi }, 'worker started');
  // Worker.run handles SIGINT/SIGTERM itself: it stops polling, finishes or cancels running tasks.
  exitWithSupervisor(() => workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown()));
  await Promise.all(workers.map((w) => w.run()));
  await starter.stop();
  await relay?.stop();
  await pool.end();
  await connection.close();
  await temporal.close();
  log.info('worker stopped');
}

/**
 * The SDK's own logs (workflow and activity loggers, worker lifecycle) as pino JSON lines, each
 * with the compose id when the line concerns a compose workflow.
 */
function sdkLoggerToPino(log: ReturnType<typeof createLogger>): DefaultLogger {
  const levels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  return new DefaultLogger('INFO', ({ level, message, meta }) => {
    const workflowId = (meta as { workflowId?: string } | undefined)?.workflowId;
    const composeId = workflowId?.startsWith('compose-') ? Number(workflowId.slice('compose-'.length)) : undefined;
    // The worker's own INFO lines (bundler output, start-up) are debug detail; keep activities' and workflows'.
    const fromWorker = (meta as { sdkComponent?: string } | undefined)?.sdkComponent === 'worker';
    // Activity-only task queues (generation) have no workflows by design: not worth a warning.
    const quiet = fromWorker && (level === 'INFO' || message.startsWith('No workflows registered'));
    log[quiet ? 'debug' : levels[level]]({ ...meta, ...(composeId ? { composeId } : {}) }, message);
  });
}

async function connectWithRetry(address: string, log: ReturnType<typeof createLogger>): Promise<NativeConnection> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await NativeConnection.connect({ address });
    } catch (err) {
      if (attempt === 1 || attempt % 10 === 0) log.warn({ address, err: (err as Error).message }, 'waiting for Temporal');
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
    }
  }
}

main().catch((err) => {
  process.stderr.write(`worker: ${err instanceof ConfigError ? err.message : (err as Error).stack}\n`);
  process.exit(1);
});
