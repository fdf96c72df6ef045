// Process configuration: environment variables only, validated with zod at start. A bad value
// stops the process with one line naming the variable. Pure: the caller passes the environment.
import path from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
const url = z.string().url();

function schema(cwd: string) {
  return z
    .object({
      PORT: port.default(8080),
      HOST: z.string().min(1).default('127.0.0.1'),
      DATABASE_URL: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
        .optional(),
      TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').default('127.0.0.1:7233'),
      TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
      TEMPORAL_UI_URL: url.default('http://localhost:8233'),
      TASK_QUEUE: z.string().min(1).default('default'),
      GENERATE_TASK_QUEUE: z.string().min(1).default('compose-gen'),
      DATA_DIR: z.string().min(1).default('.data'),
      COMPOSE_ROOT: z.string().min(1).optional(),
      TARGET_DIR_URL: url.optional(),
      REPO_ROOTS: z.string().optional(),
      ODCS_CONFIG: z.string().min(1).optional(),
      BODY_LIMIT: positiveInt.default(1024 * 1024),
      LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      DB_POOL_SIZE: positiveInt.default(10),
      GENERATE_HEARTBEAT_TIMEOUT: positiveInt.default(30),
      GENERATE_TEST_PAUSE_MS: z.coerce.number().int().min(0).default(0),
      NOAUTH_ALLOW_PUBLIC: z.enum(['true', 'false', '1', '0']).default('false'),
    })
    .transform((env) => {
      const dataDir = path.resolve(cwd, env.DATA_DIR);
      const composeRoot = path.resolve(cwd, env.COMPOSE_ROOT ?? path.join(dataDir, 'composes'));
      const repoRoots = (env.REPO_ROOTS ?? path.join(dataDir, 'repos'))
        .split(/[:,]/)
        .filter(Boolean)
        .map((p) => path.resolve(cwd, p));
      const publicHost = env.HOST === '0.0.0.0' || env.HOST === '::' ? 'localhost' : env.HOST;
      return {
        port: env.PORT,
        host: env.HOST,
        databaseUrl: env.DATABASE_URL,
        temporalAddress: env.TEMPORAL_ADDRESS,
        temporalNamespace: env.TEMPORAL_NAMESPACE,
        temporalUiUrl: env.TEMPORAL_UI_URL,
        taskQueue: env.TASK_QUEUE,
        generateTaskQueue: env.GENERATE_TASK_QUEUE,
        dataDir,
        composeRoot,
        targetDirUrl: (env.TARGET_DIR_URL ?? `http://${publicHost}:${env.PORT}/composes`).replace(/\/+$/, ''),
        repoRoots,
        odcsConfigFile: env.ODCS_CONFIG ? path.resolve(cwd, env.ODCS_CONFIG) : undefined,
        bodyLimit: env.BODY_LIMIT,
        logLevel: env.LOG_LEVEL,
        dbPoolSize: env.DB_POOL_SIZE,
        generateHeartbeatTimeout: env.GENERATE_HEARTBEAT_TIMEOUT,
        generateTestPauseMs: env.GENERATE_TEST_PAUSE_MS,
        noauthAllowPublic: env.NOAUTH_ALLOW_PUBLIC === 'true' || env.NOAUTH_ALLOW_PUBLIC === '1',
      };
    });
}

export type AppConfig = z.output<ReturnType<typeof schema>>;

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined>, cwd: string): AppConfig {
  // Empty strings count as unset, as shells and compose files often produce them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema(cwd).safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = issue.path.join('.');
    throw new ConfigError(`invalid configuration: ${name}=${JSON.stringify(cleaned[name] ?? '')}: ${issue.message}`);
  }
  return result.data;
}

/** Variables, defaults and meanings, for the README table and `--help` output. */
export const CONFIG_DOC: Array<[string, string, string]> = [
  ['PORT', '8080', 'HTTP port of the API'],
  ['HOST', '127.0.0.1', 'address the API binds to (noauth only on loopback)'],
  ['DATABASE_URL', 'embedded PostgreSQL under .data/', 'PostgreSQL connection URL'],
  ['TEMPORAL_ADDRESS', '127.0.0.1:7233', 'Temporal frontend (gRPC)'],
  ['TEMPORAL_NAMESPACE', 'default', 'Temporal namespace'],
  ['TEMPORAL_UI_URL', 'http://localhost:8233', 'Temporal Web UI, for links'],
  ['TASK_QUEUE', 'default', 'task queue of workflows and database activities'],
  ['GENERATE_TASK_QUEUE', 'compose-gen', 'task queue of compose generation (concurrency num_concurrent_pungi)'],
  ['DATA_DIR', '.data', 'local state: embedded PostgreSQL, Temporal database, composes, demo repos'],
  ['COMPOSE_ROOT', '$DATA_DIR/composes', 'ODCS target_dir: where compose trees are written'],
  ['TARGET_DIR_URL', 'http://$HOST:$PORT/composes', 'public URL of COMPOSE_ROOT (ODCS target_dir_url)'],
  ['REPO_ROOTS', '$DATA_DIR/repos', 'colon-separated roots that `repo` sources must lie under'],
  ['ODCS_CONFIG', 'embedded defaults', 'JSON file of ODCS settings (tags, permissions, TTLs, arches)'],
  ['BODY_LIMIT', '1048576', 'largest accepted request body, bytes'],
  ['LOG_LEVEL', 'info', 'pino log level'],
  ['DB_POOL_SIZE', '10', 'PostgreSQL connections per process'],
  ['GENERATE_HEARTBEAT_TIMEOUT', '30', 'seconds without a heartbeat before a generation is retried on another worker'],
  ['GENERATE_TEST_PAUSE_MS', '0', 'tests only: pause each generation mid-way, to kill a worker during it'],
  ['NOAUTH_ALLOW_PUBLIC', 'false', 'let auth_backend "noauth" listen on a non-loopback HOST (containers)'],
  ['TEMPORAL_CLI', '~/.cache/odcs-flow/temporal-cli-1.5.1/temporal', 'Temporal CLI used by npm start and tests'],
];
