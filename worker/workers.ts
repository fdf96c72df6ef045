// Builds the two workers of one worker process: the `default` queue (workflows and database
// activities) and the generation queue, whose concurrency is num_concurrent_pungi.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { AppConfig } from '../core/config.js';
import type { OdcsSettings } from '../core/settings.js';
import { createComposeActivities, createGenerateActivities } from '../activities/compose-activities.js';
import { createReconcileActivities } from '../activities/reconcile.js';
import { createProviderActivities } from '../activities/providers/activities.js';

const HERE = fileURLToPath(import.meta.url);
/** workflows/index.ts under tsx, dist/workflows/index.js when compiled: the extension of this very file. */
export const WORKFLOWS_PATH = path.resolve(path.dirname(HERE), '..', 'workflows', `index${path.extname(HERE)}`);
/**
 * The compiled worker's workflows, bundled at build time (scripts/bundle-workflows.mjs): loading them
 * spares every start webpack's time (15 s down to 4 s) and the memory its modules keep (about
 * 70 MB of RSS). Under tsx there is none, and the worker bundles at start.
 */
const PREBUILT_BUNDLE = path.resolve(path.dirname(HERE), '..', 'workflow-bundle.js');

function workflowSource(prebuilt?: WorkflowBundleWithSourceMap) {
  if (prebuilt) return { workflowBundle: prebuilt };
  if (path.extname(HERE) === '.js' && fs.existsSync(PREBUILT_BUNDLE)) return { workflowBundle: { codePath: PREBUILT_BUNDLE } };
  return { workflowsPath: WORKFLOWS_PATH };
}

export interface WorkerDeps {
  config: AppConfig;
  settings: OdcsSettings;
  pool: pg.Pool;
  connection: NativeConnection;
  /** Client for activities that start workflows (the reconciler). */
  client: Client;
  /** A prebuilt bundle (tests bundle once and share it); otherwise bundled at start. */
  workflowBundle?: WorkflowBundleWithSourceMap;
}

export async function createWorkers(deps: WorkerDeps, queues: { generate?: boolean; providers?: boolean } = {}): Promise<Worker[]> {
  const { config, settings, pool, connection } = deps;
  const main = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    ...workflowSource(deps.workflowBundle),
    activities: {
      ...createComposeActivities({ pool, config, settings }),
      ...createReconcileActivities({ pool, client: deps.client, config, settings }),
    },
    maxCachedWorkflows: config.maxCachedWorkflows,
  });
  const workers = [main];
  // Provider caches: the upstream-fetching activities, on their own queue and concurrency.
  if (queues.providers !== false) {
    workers.push(
      await Worker.create({
        connection,
        namespace: config.temporalNamespace,
        taskQueue: config.providers.taskQueue,
        activities: createProviderActivities({ pool, providers: config.providers }),
        maxConcurrentActivityTaskExecutions: config.providers.activityConcurrency,
      }),
    );
  }
  if (queues.generate === false) return workers;
  const generate = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.generateTaskQueue,
    activities: createGenerateActivities({ pool, testPauseMs: config.generateTestPauseMs, verify: config.generateVerify }),
    maxConcurrentActivityTaskExecutions: settings.num_concurrent_pungi,
  });
  return [...workers, generate];
}
