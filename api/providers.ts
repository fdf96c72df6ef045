// The handlers of the provider-cache API (oraculum, spec oraculum.md Part B section 3; routes:
// api/providers.routes.ts). Reads never wait on an
// upstream: they answer from the cache with its completeness, mark package rows as asked for, and
// queue refreshes of what is missing or stale (deterministic workflow ids, at most one start per
// key per QUEUE_THROTTLE_SECONDS). Admin endpoints start refreshes and clear the cache.
import type { Context } from 'hono';
import type { DashboardQuery } from '../core/providers/dashboard.js';
import {
  isStale,
  isValidAccountName,
  isValidPackageName,
  maxAgeSeconds,
  PROVIDER_NAMES,
  PROVIDERS,
  resolveProviderName,
  type ProviderName,
} from '../core/providers/registry.js';
import type { ReleasesData } from '../core/providers/releases.js';
import { cacheStats, clearCache, readRow } from '../store/cache.js';
import { startRefresh, startRefreshAll } from '../temporal/providers.js';
import type { ApiDeps } from './deps.js';
import { BadRequestError, errorBody } from '../core/errors.js';
import * as routes from './providers.routes.js';
import { createRouter, register } from './routing.js';
import { createDemand, TOUCH_EVERY_SECONDS } from './provider-demand.js';

const MAX_NAMES = { users: 100, groups: 100, packages: 2000 };

function names(c: Context, param: 'users' | 'groups' | 'packages'): string[] {
  const raw = (c.req.queries(param) ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  const list = [...new Set(raw)];
  const valid = param === 'packages' ? isValidPackageName : isValidAccountName;
  const bad = list.find((n) => !valid(n));
  if (bad !== undefined) throw new BadRequestError(`Invalid name in "${param}": ${JSON.stringify(bad.slice(0, 100))}.`);
  if (list.length > MAX_NAMES[param]) throw new BadRequestError(`Too many ${param}: at most ${MAX_NAMES[param]}.`);
  return list;
}

export function providerRoutes(deps: ApiDeps) {
  const { pool, config, log } = deps;
  const app = createRouter();
  const parsedBy = { query: 'the handler', params: 'the handler' };
  const intervals = config.providers.intervals;

  const { demand, globalData, readDashboard, visitAndDemand } = createDemand(deps);

  register(app, routes.releases, async (c) => {
    const { data } = await globalData<ReleasesData>('fedora_releases');
    if (!data) {
      c.header('Retry-After', '30');
      return c.json(errorBody(503, 'The release list is not cached yet; a refresh is queued. Try again shortly.'), 503);
    }
    // jsonb does not keep key order: answer in the documented order (testcloud reads this).
    const { fedora, epel } = data.api;
    return c.json(
      {
        fedora: { stable: fedora.stable, branched: fedora.branched, rawhide: fedora.rawhide, values: fedora.values, branched_frozen: fedora.branched_frozen },
        epel,
      },
      200,
    );
  });

  register(app, routes.dashboardCaching, (c) => c.json({ visits_required_every_n_days: config.providers.visitDays }, 200));

  for (const { route, provider, field } of routes.NAME_LISTS) {
    register(app, route, async (c) => {
      const { data } = await globalData<Record<string, string[]>>(provider);
      return c.json(data?.[field] ?? [], 200);
    });
  }

  register(app, routes.packagerDashboard, async (c) => {
    const acl = c.req.query('required_acl') ?? 'commit';
    if (acl !== 'commit' && acl !== 'admin') throw new BadRequestError('required_acl must be "commit" or "admin".');
    const q: DashboardQuery = { users: names(c, 'users'), groups: names(c, 'groups'), packages: names(c, 'packages'), requiredAcl: acl };
    if (!q.users.length && !q.groups.length && !q.packages.length) throw new BadRequestError('Ask for at least one of users, groups or packages.');
    const { body, demand: wanted } = await readDashboard(q);
    // A newcomer's first read: 202 with what is there, its refreshes before scheduled work.
    if ((await visitAndDemand(q, wanted)) && body.status === 200) body.status = 202;
    return body.status === 200 ? c.json(body, 200) : c.json(body, 202);
  }, { parsedBy });

  // The dist-git versions table: one package's stable and testing builds per release.
  register(app, routes.packageVersions, async (c) => {
    const pkg = c.req.param('pkg');
    if (!isValidPackageName(pkg)) throw new BadRequestError(`Invalid package name ${JSON.stringify(pkg.slice(0, 100))}.`);
    const provider = 'package_versions_generic';
    const row = await readRow(pool, provider, pkg);
    const missing = row?.data == null;
    const stale = missing || isStale(row!.time_created, provider, intervals, Date.now());
    const touch = !row?.time_requested || Date.now() - row.time_requested.getTime() > TOUCH_EVERY_SECONDS * 1000;
    if (stale || touch) await demand([{ provider, arg: pkg, queue: stale, touch }]);
    const body = {
      status: missing ? 204 : 200,
      package: pkg,
      versions: row?.data ?? {},
      last_synced: row?.time_created?.toISOString() ?? null,
    };
    return missing ? c.json(body, 202) : c.json({ ...body, status: 200 as const }, 200);
  }, { parsedBy });

  // Operators: every provider's size, age and last error.
  register(app, routes.providers, async (c) => {
    const stats = new Map((await cacheStats(pool)).map((s) => [s.provider, s]));
    const now = Date.now();
    return c.json(
      PROVIDER_NAMES.map((name) => {
        const s = stats.get(name);
        return {
          name,
          scope: PROVIDERS[name].scope,
          depends_on: PROVIDERS[name].dependsOn,
          max_age_seconds: maxAgeSeconds(name, intervals),
          rows: s?.rows ?? 0,
          bytes: s?.bytes ?? 0,
          last_refreshed: s?.last_refreshed?.toISOString() ?? null,
          stale: PROVIDERS[name].scope === 'global' ? isStale(s?.last_refreshed ?? null, name, intervals, now) : null,
          failing_rows: s?.failing ?? 0,
          last_error: s?.last_error ?? null,
          time_failed: s?.time_failed?.toISOString() ?? null,
        };
      }),
      200,
    );
  });

  const workflowLink = (workflowId: string) =>
    `${config.temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(config.temporalNamespace)}/workflows/${encodeURIComponent(workflowId)}`;

  // Starts a refresh: POST /api/v1/admin/refresh/<provider>[?package=<pkg>]; provider "all" is refresh-all.
  register(app, routes.refreshProvider, async (c) => {
    const name = c.req.param('provider');
    const pkg = c.req.query('package') || undefined;
    if (name === 'all') {
      if (pkg) throw new BadRequestError('"package" does not apply to refresh-all.');
      const s = await startRefreshAll(deps.temporal.client, config);
      return c.json({ provider: 'all', package: null, workflow_id: s.workflowId, run_id: s.runId, url: workflowLink(s.workflowId) }, 202);
    }
    const provider = resolveProviderName(name);
    if (!provider) return c.json(errorBody(404, `Unknown provider ${JSON.stringify(name)}; known: all, ${PROVIDER_NAMES.join(', ')}.`), 404);
    if (pkg !== undefined) {
      if (PROVIDERS[provider].scope === 'global') throw new BadRequestError(`${provider} is a global provider: it takes no package.`);
      if (!isValidPackageName(pkg)) throw new BadRequestError(`Invalid package name ${JSON.stringify(pkg.slice(0, 100))}.`);
    }
    const s = await startRefresh(deps.temporal.client, config, provider, pkg);
    return c.json({ provider, package: pkg ?? null, workflow_id: s.workflowId, run_id: s.runId, url: workflowLink(s.workflowId) }, 202);
  }, { parsedBy });

  // Clears the cache: DELETE /api/v1/admin/cache[?provider=<prefix>].
  register(app, routes.clearCache, async (c) => {
    const prefix = c.req.query('provider');
    if (prefix !== undefined && prefix.trim() === '') throw new BadRequestError('"provider" must be a non-empty provider name prefix.');
    const deleted = await clearCache(pool, prefix);
    log.info({ prefix: prefix ?? null, deleted, user: c.get('user')?.name }, 'provider cache cleared');
    return c.json({ deleted, provider: prefix ?? null }, 200);
  }, { parsedBy });

  return app;
}
