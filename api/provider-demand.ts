// What a read of the provider caches asks for: marks keys as requested, claims refreshes (at most
// one start per key per QUEUE_THROTTLE_SECONDS) and starts the claimed ones in the background, at
// a given Temporal priority (newcomers' refreshes go before scheduled work). Shared by every
// route that reads the cache.
import { readKeysLite, readRow, readRowsLite, touchAndQueue, type LiteRow } from '../store/cache.js';
import { startRefreshes } from '../temporal/providers.js';
import {
  assembleDashboard,
  DASHBOARD_GLOBALS,
  resolutionKeys,
  resolvePackages,
  type DashboardQuery,
  type KeyDemand,
  type RowLike,
} from '../core/providers/dashboard.js';
import { isStale, PACKAGE_PROVIDERS, unconfiguredProviders, type ProviderName } from '../core/providers/registry.js';
import type { ApiDeps } from './deps.js';
import { recordQueryVisits } from './dashboard-visits.js';

/** A key whose refresh was queued is not queued again for this long (clients re-poll every 30 s). */
export const QUEUE_THROTTLE_SECONDS = 300;
/** A package row's "asked for" mark is rewritten at most this often. */
export const TOUCH_EVERY_SECONDS = 3600;

/**
 * Temporal priority keys (1 first, 5 last; unset is 3, what Schedules use): a newcomer's
 * refreshes, then other reads that found data missing or stale, then scheduled work.
 */
export const PRIORITY = { newcomer: 1, read: 2 } as const;

export function createDemand(deps: Pick<ApiDeps, 'pool' | 'config' | 'log' | 'temporal'>) {
  const { pool, config, log } = deps;
  const intervals = config.providers.intervals;

  /** Marks and claims in one statement, then starts the claimed refreshes in the background. */
  async function demand(keys: KeyDemand[], priority: number = PRIORITY.read): Promise<void> {
    if (keys.length === 0) return;
    const granted = await touchAndQueue(pool, keys, QUEUE_THROTTLE_SECONDS);
    if (granted.length === 0) return;
    void startRefreshes(deps.temporal.client, config, granted as Array<{ provider: ProviderName; arg: string }>, 8, { priority })
      .then(({ errors }) => {
        if (errors.length) log.warn({ failed: errors.length, err: errors[0] }, 'could not queue provider refreshes');
      })
      .catch((err) => log.warn({ err }, 'could not queue provider refreshes'));
  }

  /** A global provider's meta row, queueing a refresh when it is missing or stale. */
  async function globalData<T>(provider: ProviderName): Promise<{ data: T | null; time_created: Date | null }> {
    const row = await readRow<T>(pool, provider);
    if (row?.data == null || isStale(row.time_created, provider, intervals, Date.now())) {
      await demand([{ provider, arg: '', queue: true, touch: false }]);
    }
    return { data: row?.data ?? null, time_created: row?.time_created ?? null };
  }

  /** Every row a dashboard query needs, its v2 assembly, and what it wants refreshed. */
  async function readDashboard(q: DashboardQuery) {
    const rows = new Map<string, RowLike>();
    const add = (list: LiteRow[]) => {
      for (const r of list) rows.set(`${r.provider}\u0000${r.arg}`, r);
    };
    const lookup = (provider: string, arg: string) => rows.get(`${provider}\u0000${arg}`);
    add(await readKeysLite(pool, resolutionKeys(q)));
    const resolved = resolvePackages(q, lookup);
    add(await readRowsLite(pool, [...DASHBOARD_GLOBALS, ...PACKAGE_PROVIDERS], resolved.packages));
    const disabled = unconfiguredProviders(config.providers.urls);
    const { body, demand: wanted } = assembleDashboard(q, resolved, lookup, { intervals, now: Date.now(), touchEverySeconds: TOUCH_EVERY_SECONDS, disabled });
    return { body, demand: wanted, resolved, lookup, disabled };
  }

  /**
   * Records the query's visits and queues what it wants, a newcomer's refreshes first. True when
   * a newcomer's refreshes were queued: the answer is then partial (202) whatever is there.
   */
  async function visitAndDemand(q: Pick<DashboardQuery, 'users' | 'groups' | 'packages'>, wanted: KeyDemand[]): Promise<boolean> {
    const newcomer = await recordQueryVisits(pool, config, q);
    await demand(wanted, newcomer ? PRIORITY.newcomer : PRIORITY.read);
    return newcomer && wanted.some((k) => k.queue);
  }

  return { demand, globalData, readDashboard, visitAndDemand };
}
