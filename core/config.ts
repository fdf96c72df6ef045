// Process configuration: environment variables only, validated with zod at start. A bad value
// stops the process with one line naming the variable. Pure: the caller passes the environment.
import path from 'node:path';
import { z } from 'zod';
import { INTERVAL_KEYS, intervalsWithDefaults, type IntervalKey } from './providers/registry.js';

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
const url = z.string().url();
const flag = z.enum(['true', 'false', '1', '0']);

/** GENERATE_VERIFY: how much of each package file the generator reads to check it (activities/generate/verify.ts). */
export const GENERATE_VERIFY_MODES = ['size', 'header', 'full'] as const;
export type GenerateVerifyMode = (typeof GENERATE_VERIFY_MODES)[number];

/** A variable's schema with its meaning, and the default to show when the schema's is not it. */
const doc = <T extends z.ZodType>(schema: T, description: string, shownDefault?: string): T =>
  schema.meta({ description, ...(shownDefault === undefined ? {} : { shownDefault }) });

/** "90" (seconds), "90s", "30m", "2h", "1d". */
export function parseDurationSeconds(v: unknown): number | null {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? v : null;
  const m = /^\s*(\d+)\s*(s|m|h|d)?\s*$/.exec(String(v));
  if (!m) return null;
  const n = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's'];
  return n > 0 ? n : null;
}

/** PROVIDER_INTERVALS: a JSON object of provider (or package_caches, garbage_collection) to interval. */
const providerIntervals = z.string().transform((raw, ctx) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object such as {"bodhi_updates": "30m"}' });
    return z.NEVER;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object such as {"bodhi_updates": "30m"}' });
    return z.NEVER;
  }
  const out: Partial<Record<IntervalKey, number>> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(INTERVAL_KEYS as readonly string[]).includes(key)) {
      ctx.addIssue({ code: 'custom', message: `unknown key "${key}" (expected one of ${INTERVAL_KEYS.join(', ')})` });
      return z.NEVER;
    }
    const seconds = parseDurationSeconds(value);
    if (seconds === null) {
      ctx.addIssue({ code: 'custom', message: `"${key}": ${JSON.stringify(value)} is not a duration (seconds, or "30m", "2h", "1d")` });
      return z.NEVER;
    }
    out[key as IntervalKey] = seconds;
  }
  return out;
});

/**
 * Every variable: its schema, what it means and, where the schema's default is not what a reader
 * should see (derived values, unset), the default shown. The README's table says the same.
 */
const ENV = z.object({
  PORT: doc(port.default(8080), 'HTTP port of the API'),
  HOST: doc(z.string().min(1).default('127.0.0.1'), 'address the API binds to (noauth only on loopback)'),
  API_PROCESSES: doc(z.coerce.number().int().min(1).max(64).default(1), 'API processes sharing PORT (node:cluster): above 1, a primary forks that many, restarts one that dies and drains them on SIGTERM. 1 (npm start): one process, no primary; production: the cores the API host gives it'),
  DATABASE_URL: doc(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(), 'PostgreSQL connection URL', 'embedded PostgreSQL under .data/'),
  TEMPORAL_ADDRESS: doc(z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').default('127.0.0.1:7233'), 'Temporal frontend (gRPC)'),
  TEMPORAL_NAMESPACE: doc(z.string().min(1).default('default'), 'Temporal namespace'),
  TEMPORAL_UI_URL: doc(url.default('http://localhost:8233'), 'Temporal Web UI, for links'),
  TASK_QUEUE: doc(z.string().min(1).default('default'), 'task queue of workflows and database activities'),
  GENERATE_TASK_QUEUE: doc(z.string().min(1).default('compose-gen'), 'task queue of compose generation (concurrency num_concurrent_pungi)'),
  DATA_DIR: doc(z.string().min(1).default('.data'), 'local state: embedded PostgreSQL, Temporal database, composes, demo repos'),
  COMPOSE_ROOT: doc(z.string().min(1).optional(), 'ODCS target_dir: where compose trees are written', '$DATA_DIR/composes'),
  COMPOSE_ROOT_LIMIT: doc(z.string().regex(/^\s*\d+(\.\d+)?\s*([KMGT]i?B?)?\s*$/i, 'must be a size such as 500G, 2T or 1048576 (0: no limit)').default('0'), 'size limit of the compose root (e.g. 500G): beyond it composes nearest to expiry are removed early and new generations wait', '0 (no limit)'),
  TARGET_DIR_URL: doc(url.optional(), 'public URL of COMPOSE_ROOT (ODCS target_dir_url)', 'http://$HOST:$PORT/composes'),
  REPO_ROOTS: doc(z.string().optional(), 'colon-separated roots that `repo` sources must lie under', '$DATA_DIR/repos'),
  ODCS_CONFIG: doc(z.string().min(1).optional(), 'JSON file of ODCS settings (tags, permissions, TTLs, arches)', 'embedded defaults'),
  BODY_LIMIT: doc(positiveInt.default(1024 * 1024), 'largest accepted request body, bytes'),
  LOG_LEVEL: doc(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), 'pino log level'),
  DB_POOL_SIZE: doc(positiveInt.default(10), 'PostgreSQL connections per process'),
  WORKER_MAX_CACHED_WORKFLOWS: doc(positiveInt.default(20), 'compose workflows a worker keeps in memory (sticky cache); others are replayed from their short history when woken. Bounds the worker RSS whatever the number of live composes'),
  GENERATE_HEARTBEAT_TIMEOUT: doc(positiveInt.default(30), 'seconds without a heartbeat before a generation is retried on another worker'),
  GENERATE_VERIFY: doc(z.enum(GENERATE_VERIFY_MODES).default('header'), 'how each package file is checked against the source metadata before derived repodata repeats it: size (stat), header (size plus the RPM header: its range, NEVRA and signed sha256; a few KB read) or full (every byte hashed against the pkgid checksum)'),
  GENERATE_TEST_PAUSE_MS: doc(z.coerce.number().int().min(0).default(0), 'tests only: pause each generation mid-way, to kill a worker during it'),
  KOJI_CACHE_MAX_BYTES: doc(z.string().regex(/^\s*\d+(\.\d+)?\s*([KMGT]i?B?)?\s*$/i, 'must be a size such as 20G or 1048576 (0: no limit)').default('20G'), 'Koji tag sources: size bound of the RPM download cache ($DATA_DIR/koji-cache/packages) shared by composes; least recently used files go first, never one a running compose uses'),
  NOAUTH_ALLOW_PUBLIC: doc(z.enum(['true', 'false', '1', '0']).default('false'), 'let auth_backend "noauth" listen on a non-loopback HOST (containers)'),
  // Message relay to an AMQP 0-9-1 broker (worker process); none when AMQP_URL is unset.
  AMQP_URL: doc(z.string().regex(/^amqps?:\/\/\S+$/, 'must be an amqp:// or amqps:// URL').optional(), 'AMQP 0-9-1 broker the worker relays the outbox to (fedora-messaging conventions), e.g. amqp://user:pass@rabbitmq:5672/%2F', 'unset (no relay)'),
  AMQP_EXCHANGE: doc(z.string().min(1).default('amq.topic'), 'exchange messages are published to (declared as a durable topic exchange unless amq.*)'),
  AMQP_TOPIC_PREFIX: doc(z.string().regex(/^[^\s#*]*$/, 'must be words separated by dots, without # or *').default(''), 'prefix of the topic (routing key), e.g. org.fedoraproject.prod. for odcs.compose.state-changed', 'empty'),
  // Provider caches (oraculum).
  BODHI_URL: doc(url.default('https://bodhi.fedoraproject.org'), 'provider caches: Bodhi (releases, updates, overrides)'),
  PAGURE_URL: doc(url.default('https://src.fedoraproject.org'), 'provider caches: dist-git Pagure (groups, pull requests, extras/pagure_owner_alias.json)'),
  KOSCHEI_URL: doc(url.default('https://koschei.fedoraproject.org'), 'provider caches: Koschei'),
  MDAPI_URL: doc(url.default('https://mdapi.fedoraproject.org'), 'provider caches: mdapi (package versions of a release Koji cannot answer for)'),
  KOJI_HUB_URL: doc(url.or(z.literal('none')).default('https://koji.fedoraproject.org/kojihub'), 'provider caches: Koji hub (XML-RPC) asked for the latest builds of many packages at once (package versions); none: mdapi only'),
  BUGZILLA_URL: doc(url.default('https://bugzilla.redhat.com'), 'provider caches: Bugzilla REST'),
  FAF_URL: doc(url.default('https://retrace.fedoraproject.org/faf'), 'provider caches: FAF / retrace (ABRT reports)'),
  DATAGREPPER_URL: doc(url.or(z.literal('none')).default('https://apps.fedoraproject.org/datagrepper'), 'provider caches: datagrepper (the message bus archive); a sweep of pull requests asks it which packages had pull-request messages since their last refresh instead of listing every package; none: every package listed'),
  DATAGREPPER_TOPIC_PREFIX: doc(z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)*$/, 'must be words separated by dots').default('org.fedoraproject.prod'), 'provider caches: topic prefix of dist-git\'s messages in datagrepper (org.fedoraproject.stg for staging)'),
  BZ_API_KEY: doc(z.string().optional(), 'provider caches: Bugzilla API key (sent to BUGZILLA_URL only)', 'unset'),
  // The four file-shaped providers; unset: that provider is off (its fields keep their defaults).
  ORPHANS_URL: doc(url.default('https://churchyard.fedorapeople.org/orphans.json'), 'provider caches: the orphans JSON file (full URL)'),
  FTI_URL: doc(url.optional(), 'provider caches: repochecker (fails to install), base URL of its /data/<release> lists', 'unset (provider off)'),
  SCHEDULE_URL: doc(url.optional(), 'provider caches: the Fedora release schedule ICS file (full URL; the landing page)', 'unset (provider off)'),
  CALENDARS_URL: doc(url.optional(), 'provider caches: base of the per-package calendars, <base>/<pkg>.ics', 'unset (provider off)'),
  CALENDARS_INDEX_URL: doc(url.optional(), 'provider caches: Pagure\'s file listing of the folder holding the calendars (GET /api/0/<repo>/tree/<branch>[/f/<folder>]): a sweep asks only for the calendars it lists, in one request instead of one per package', 'unset (every package asked)'),
  // Packager Dashboard endpoints (api/dashboard.ts, api/oidc-login.ts).
  OPENSHIFT_PROD: doc(flag.default('0'), '/api/v1/deployment_env: 1 prod, 0 stg'),
  MOTD_PASSWORD: doc(z.string().min(8, 'must be at least 8 characters').optional(), 'secret that POST/DELETE /api/v1/motd/service_messages need (Authorization: Bearer)', 'unset (posting off)'),
  OIDC_CLIENT_ID: doc(z.string().min(1).optional(), 'OpenID Connect login: client id (issuer and keys are the oidc_* ODCS settings)', 'oidc_audience'),
  OIDC_CLIENT_SECRET: doc(z.string().min(1).optional(), 'OpenID Connect login: client secret', 'unset (login off)'),
  OIDC_REDIRECT_URI: doc(url.optional(), 'OpenID Connect login: our callback URL as registered with the provider', 'http://$HOST:$PORT/oidc_callback'),
  OIDC_ALLOWED_REDIRECTS: doc(z.string().optional(), 'comma-separated origins a login/logout may return the browser to (besides relative paths)', 'empty'),
  SECRET_KEY: doc(z.string().min(16, 'must be at least 16 characters').optional(), 'signs the login state cookie (16+ characters)', 'unset (login off)'),
  PROVIDER_TASK_QUEUE: doc(z.string().min(1).optional(), 'task queue of the upstream-fetching activities', '$TASK_QUEUE-providers'),
  PROVIDER_INTERVALS: doc(providerIntervals.optional(), 'JSON {provider|package_caches|garbage_collection: seconds or "30m"/"2h"/"1d"}: Schedule intervals; data older than 1.25 intervals is stale', '{} (every provider 2h, garbage_collection 6h)'),
  PROVIDER_SCHEDULES: doc(flag.default('true'), 'create the provider Schedules at worker start (false: refreshes only on demand)'),
  PROVIDER_ACTIVITY_CONCURRENCY: doc(positiveInt.default(8), 'provider refresh activities at once per worker'),
  CACHE_VISIT_DAYS: doc(positiveInt.default(14), 'packages asked for within this many days are refreshed in the background (visits_required_every_n_days)'),
  CACHE_GC_DAYS: doc(positiveInt.default(30), 'per-package cache rows nobody asked for within this many days are deleted'),
  UPSTREAM_TIMEOUT_MS: doc(positiveInt.default(30_000), 'timeout of one upstream request, body included'),
  UPSTREAM_ATTEMPTS: doc(positiveInt.default(3), 'attempts per upstream request (network errors, timeouts, 429, 5xx)'),
  UPSTREAM_BACKOFF_MS: doc(z.coerce.number().int().min(0).default(1000), 'first retry delay of an upstream request; doubles each attempt'),
  UPSTREAM_CONCURRENCY: doc(positiveInt.default(8), 'upstream requests in flight within one refresh'),
  UPSTREAM_NOT_FOUND_TTL: doc(z.coerce.number().int().min(0).default(86_400), 'seconds a 404 (no calendar, no build in a branch) is remembered instead of asked again (0: ask every refresh)'),
  UPSTREAM_FULL_RESYNC_HOURS: doc(z.coerce.number().min(0).default(24), 'hours after a full fetch during which an upstream\'s "changed since" filter (Bodhi, Bugzilla) may stand for asking per package (0: never)'),
  REFRESH_ATTEMPTS: doc(positiveInt.default(5), 'attempts of a failed provider refresh (Temporal activity retries) before the run fails'),
  REFRESH_RETRY_SECONDS: doc(positiveInt.default(60), 'first retry delay of a failed provider refresh; doubles each attempt'),
});

function schema(cwd: string) {
  return ENV.transform((env) => {
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
        apiProcesses: env.API_PROCESSES,
        databaseUrl: env.DATABASE_URL,
        temporalAddress: env.TEMPORAL_ADDRESS,
        temporalNamespace: env.TEMPORAL_NAMESPACE,
        temporalUiUrl: env.TEMPORAL_UI_URL,
        taskQueue: env.TASK_QUEUE,
        generateTaskQueue: env.GENERATE_TASK_QUEUE,
        dataDir,
        composeRoot,
        composeRootLimit: parseSize(env.COMPOSE_ROOT_LIMIT),
        kojiCacheMaxBytes: parseSize(env.KOJI_CACHE_MAX_BYTES),
        targetDirUrl: (env.TARGET_DIR_URL ?? `http://${publicHost}:${env.PORT}/composes`).replace(/\/+$/, ''),
        repoRoots,
        odcsConfigFile: env.ODCS_CONFIG ? path.resolve(cwd, env.ODCS_CONFIG) : undefined,
        bodyLimit: env.BODY_LIMIT,
        logLevel: env.LOG_LEVEL,
        dbPoolSize: env.DB_POOL_SIZE,
        maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
        generateHeartbeatTimeout: env.GENERATE_HEARTBEAT_TIMEOUT,
        generateTestPauseMs: env.GENERATE_TEST_PAUSE_MS,
        generateVerify: env.GENERATE_VERIFY,
        noauthAllowPublic: env.NOAUTH_ALLOW_PUBLIC === 'true' || env.NOAUTH_ALLOW_PUBLIC === '1',
        amqp: env.AMQP_URL ? { url: env.AMQP_URL, exchange: env.AMQP_EXCHANGE, topicPrefix: env.AMQP_TOPIC_PREFIX } : null,
        providers: {
          urls: {
            bodhi: env.BODHI_URL.replace(/\/+$/, ''),
            pagure: env.PAGURE_URL.replace(/\/+$/, ''),
            koschei: env.KOSCHEI_URL.replace(/\/+$/, ''),
            mdapi: env.MDAPI_URL.replace(/\/+$/, ''),
            koji: env.KOJI_HUB_URL !== 'none' ? env.KOJI_HUB_URL.replace(/\/+$/, '') : null,
            bugzilla: env.BUGZILLA_URL.replace(/\/+$/, ''),
            faf: env.FAF_URL.replace(/\/+$/, ''),
            datagrepper: env.DATAGREPPER_URL !== 'none' ? env.DATAGREPPER_URL.replace(/\/+$/, '') : null,
            topicPrefix: env.DATAGREPPER_TOPIC_PREFIX,
            orphans: env.ORPHANS_URL,
            fti: env.FTI_URL ? env.FTI_URL.replace(/\/+$/, '') : null,
            schedule: env.SCHEDULE_URL ?? null,
            calendars: env.CALENDARS_URL ? env.CALENDARS_URL.replace(/\/+$/, '') : null,
            calendarsIndex: env.CALENDARS_INDEX_URL ?? null,
          },
          bzApiKey: env.BZ_API_KEY,
          taskQueue: env.PROVIDER_TASK_QUEUE ?? `${env.TASK_QUEUE}-providers`,
          intervals: intervalsWithDefaults(env.PROVIDER_INTERVALS ?? {}),
          schedules: env.PROVIDER_SCHEDULES === 'true' || env.PROVIDER_SCHEDULES === '1',
          activityConcurrency: env.PROVIDER_ACTIVITY_CONCURRENCY,
          visitDays: env.CACHE_VISIT_DAYS,
          gcDays: env.CACHE_GC_DAYS,
          upstream: {
            timeoutMs: env.UPSTREAM_TIMEOUT_MS,
            attempts: env.UPSTREAM_ATTEMPTS,
            backoffMs: env.UPSTREAM_BACKOFF_MS,
            concurrency: env.UPSTREAM_CONCURRENCY,
            notFoundTtlMs: env.UPSTREAM_NOT_FOUND_TTL * 1000,
            fullResyncMs: env.UPSTREAM_FULL_RESYNC_HOURS * 3_600_000,
          },
          refreshAttempts: env.REFRESH_ATTEMPTS,
          refreshRetrySeconds: env.REFRESH_RETRY_SECONDS,
        },
        dashboard: {
          deploymentEnv: env.OPENSHIFT_PROD === '1' || env.OPENSHIFT_PROD === 'true' ? ('prod' as const) : ('stg' as const),
          motdPassword: env.MOTD_PASSWORD ?? null,
          oidcClientId: env.OIDC_CLIENT_ID ?? null,
          oidcClientSecret: env.OIDC_CLIENT_SECRET ?? null,
          oidcRedirectUri: env.OIDC_REDIRECT_URI ?? `http://${publicHost}:${env.PORT}/oidc_callback`,
          /** Origins a login or logout may send the browser back to (besides our own). */
          oidcAllowedRedirects: (env.OIDC_ALLOWED_REDIRECTS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
          secretKey: env.SECRET_KEY ?? null,
        },
      };
    });
}

/** "500G", "1.5T", "10MiB", "1048576" -> bytes (binary multiples). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)/i.exec(text)!;
  const power = ' KMGT'.indexOf((m[2] || ' ').toUpperCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}

export type AppConfig = z.output<ReturnType<typeof schema>>;

/** Every variable the schema reads (the config test checks that each one is documented). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema('/').in.shape);

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

/** Variables, defaults and meanings, from the schema (the README table and `--help` say the same). */
export const CONFIG_DOC: Array<[string, string, string]> = Object.entries(ENV.shape).map(([name, v]) => {
  const meta = (v.meta() ?? {}) as { description?: string; shownDefault?: string };
  const def = v instanceof z.ZodDefault ? String(v.def.defaultValue) : 'unset';
  return [name, meta.shownDefault ?? def, meta.description ?? ''];
});
