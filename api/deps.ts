// What the API needs from outside: configuration, settings, the pool, Temporal, the logger.
import type pg from 'pg';
import type { AppConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { OdcsSettings } from '../core/settings.js';
import type { Authenticator } from './auth.js';
import type { EventNotifier } from './event-notifier.js';
import type { ProcessMetricsSource } from './metrics.js';
import type { TemporalGateway } from '../temporal/client.js';

export interface ApiDeps {
  config: AppConfig;
  settings: OdcsSettings;
  pool: pg.Pool;
  temporal: TemporalGateway;
  /** Wakes events streams on new outbox rows; without it they poll. */
  notifier?: EventNotifier;
  log: Logger;
  /** Who is calling (api/auth.ts); built from settings.auth_backend when not given. */
  auth?: Authenticator;
  /** Where the per-process metrics come from: this process (default) or the API cluster (api/cluster.ts). */
  processMetrics?: ProcessMetricsSource;
}
