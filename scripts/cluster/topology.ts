// The production topology in one place: which processes `npm run cluster` runs, their ports, and
// the environment each gets. docker-compose.yml describes the same topology; a test
// (test/platform/docker-compose.test.ts) checks the two against this module.
import { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_SERVER_VERSION } from '../lib/cluster-tools.mjs';

export { TEMPORAL_SERVER_VERSION, TEMPORAL_UI_SERVER_VERSION };

/** Temporal's four services, each its own process, started in this order (frontend first). */
export const TEMPORAL_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

/** odcs-flow processes of the cluster. */
export const WORKER_COUNT = 2;
export const API_COUNT = 2;

/**
 * Node flags of every compiled worker process (the cluster, docker-compose.yml, the flow benchmark).
 * While composes arrive, V8 let the main thread's old space grow to about three times its live data
 * before a full collection (and the workflow thread's likewise), and RSS peaked 200 MB over its
 * resting value. `--heap-growing-percent=20`: the next full collection comes once the heap is 1.2x
 * what the last one left; `--max-semi-space-size=4`: a young generation of 4 MB semi-spaces instead
 * of 16. No hard cap (`--max-old-space-size`), so more live data never crashes the worker.
 * README, Benchmarks: worker RSS with 10,000 live composes.
 */
export const WORKER_NODE_ARGS = ['--heap-growing-percent=20', '--max-semi-space-size=4'];

/** The one Temporal configuration (relative to the repository), read by every service process. */
export const TEMPORAL_CONFIG_DIR = 'deploy/temporal';
export const TEMPORAL_CONFIG_FILE = `${TEMPORAL_CONFIG_DIR}/config/production.yaml`;
export const TEMPORAL_DYNAMIC_CONFIG_FILE = `${TEMPORAL_CONFIG_DIR}/dynamicconfig/production.yaml`;
/** `temporal-server` arguments before `start --service <name>`: the config above, env "production". */
export const TEMPORAL_SERVER_ARGS = ['--root', '.', '--config', 'config', '--env', 'production', '--allow-no-auth'];

export const TEMPORAL_DATABASES = { temporal: 'temporal', visibility: 'temporal_visibility' } as const;

export interface ClusterPorts {
  postgres: number;
  grpc: Record<TemporalService, number>;
  membership: Record<TemporalService, number>;
  metrics: Record<TemporalService, number>;
  frontendHttp: number;
  ui: number;
  apis: number[];
}

/** Temporal keeps each service's ports in a SMALLINT column (cluster_membership): none may exceed this. */
export const MAX_TEMPORAL_PORT = 32767;

/** The usual ports, or with a base (ODCS_CLUSTER_PORT_BASE) 17 consecutive ones from it, for tests. */
export function clusterPorts(base?: number): ClusterPorts {
  if (base === undefined) {
    return {
      postgres: 5432,
      grpc: { frontend: 7233, history: 7234, matching: 7235, worker: 7239 },
      membership: { frontend: 6933, history: 6934, matching: 6935, worker: 6939 },
      metrics: { frontend: 9233, history: 9234, matching: 9235, worker: 9239 },
      frontendHttp: 7243,
      ui: 8233,
      apis: [8080, 8081],
    };
  }
  if (!Number.isInteger(base) || base < 1024 || base + CLUSTER_PORT_COUNT - 1 > MAX_TEMPORAL_PORT) {
    throw new Error(`ODCS_CLUSTER_PORT_BASE=${base}: expected 1024..${MAX_TEMPORAL_PORT - CLUSTER_PORT_COUNT + 1} (Temporal stores its ports as SMALLINT)`);
  }
  const at = (i: number) => base + i;
  return {
    postgres: at(0),
    grpc: { frontend: at(1), history: at(2), matching: at(3), worker: at(4) },
    membership: { frontend: at(5), history: at(6), matching: at(7), worker: at(8) },
    metrics: { frontend: at(9), history: at(10), matching: at(11), worker: at(12) },
    frontendHttp: at(13),
    ui: at(14),
    apis: [at(15), at(16)],
  };
}

export const CLUSTER_PORT_COUNT = 17;

export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** PostgreSQL's host, port and credentials from a connection URL. */
export function postgresTarget(databaseUrl: string): PostgresTarget {
  const u = new URL(databaseUrl);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || 'postgres'),
    password: decodeURIComponent(u.password || ''),
  };
}

/**
 * The environment the Temporal configuration file reads (its `{{ env "…" }}`), for one service
 * process. docker-compose.yml sets the same variables.
 */
export function temporalServiceEnv(service: TemporalService, ports: ClusterPorts, db: PostgresTarget): Record<string, string> {
  return {
    POSTGRES_SEEDS: db.host,
    DB_PORT: String(db.port),
    POSTGRES_USER: db.user,
    POSTGRES_PWD: db.password,
    DBNAME: TEMPORAL_DATABASES.temporal,
    VISIBILITY_DBNAME: TEMPORAL_DATABASES.visibility,
    BIND_ON_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    FRONTEND_GRPC_PORT: String(ports.grpc.frontend),
    FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    FRONTEND_MEMBERSHIP_PORT: String(ports.membership.frontend),
    HISTORY_GRPC_PORT: String(ports.grpc.history),
    HISTORY_MEMBERSHIP_PORT: String(ports.membership.history),
    MATCHING_GRPC_PORT: String(ports.grpc.matching),
    MATCHING_MEMBERSHIP_PORT: String(ports.membership.matching),
    WORKER_GRPC_PORT: String(ports.grpc.worker),
    WORKER_MEMBERSHIP_PORT: String(ports.membership.worker),
    PUBLIC_FRONTEND_ADDRESS: `127.0.0.1:${ports.grpc.frontend}`,
    PROMETHEUS_ENDPOINT: `127.0.0.1:${ports.metrics[service]}`,
  };
}

/** The environment of the UI server (its config file reads these). */
export function temporalUiEnv(ports: ClusterPorts): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.grpc.frontend}`,
    TEMPORAL_UI_PORT: String(ports.ui),
    TEMPORAL_CORS_ORIGINS: `http://localhost:${ports.ui}`,
  };
}

/** The environment of every odcs-flow worker and API of the cluster, beside PORT for each API. */
export function odcsEnv(opts: { databaseUrl: string; ports: ClusterPorts; dataDir: string; host: string }): Record<string, string> {
  const publicHost = opts.host === '0.0.0.0' ? 'localhost' : opts.host;
  return {
    DATABASE_URL: opts.databaseUrl,
    TEMPORAL_ADDRESS: `127.0.0.1:${opts.ports.grpc.frontend}`,
    DATA_DIR: opts.dataDir,
    // Every replica links to the same public URLs (in production: the load balancer's).
    TARGET_DIR_URL: `http://${publicHost}:${opts.ports.apis[0]}/composes`,
    TEMPORAL_UI_URL: `http://localhost:${opts.ports.ui}`,
  };
}
