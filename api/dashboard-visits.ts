// Visit tracking of the dashboard reads (store/visits.ts): every user, group and package a query
// names is recorded; the answer says whether any of them is a newcomer (never seen, or not within
// CACHE_VISIT_DAYS), whose refreshes then go before scheduled work.
import type pg from 'pg';
import type { AppConfig } from '../core/config.js';
import type { DashboardQuery } from '../core/providers/dashboard.js';
import { recordVisits, type Visit } from '../store/visits.js';

export async function recordQueryVisits(pool: pg.Pool, config: AppConfig, q: Pick<DashboardQuery, 'users' | 'groups' | 'packages'>): Promise<boolean> {
  const visits: Visit[] = [
    ...q.users.map((name) => ({ kind: 'user' as const, name })),
    ...q.groups.map((name) => ({ kind: 'group' as const, name })),
    ...q.packages.map((name) => ({ kind: 'package' as const, name })),
  ];
  const newcomers = await recordVisits(pool, visits, config.providers.visitDays);
  return newcomers.length > 0;
}
