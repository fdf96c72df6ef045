// bodhi_updates: Bodhi GET /updates/?status=pending&status=testing&releases=... (paged), for the
// active releases of fedora_releases. One row per package: [UpdateItem], newest first.
import { z } from 'zod';
import type { UpdateItem } from '../../core/providers/items.js';
import { normalizeDate, stableByTime } from '../../core/providers/items.js';
import { nvrName, type ReleaseLabels } from '../../core/providers/releases.js';
import { MalformedUpstreamError } from './http.js';
import { bodhiPages } from './paging.js';
import { push, type GlobalProviderModule, type ProviderEnv } from './types.js';

const nullableString = z.string().nullable().optional();

export const bodhiUpdateSchema = z.looseObject({
  alias: z.string(),
  title: z.string(),
  display_name: nullableString,
  status: z.string(),
  type: z.string(),
  karma: z.number().nullable().optional(),
  autotime: z.boolean().nullable().optional(),
  stable_days: z.number().nullable().optional(),
  date_submitted: nullableString,
  date_testing: nullableString,
  url: nullableString,
  release: z.looseObject({ name: z.string(), version: z.string(), id_prefix: z.string(), branch: z.string().optional() }),
  builds: z.array(z.looseObject({ nvr: z.string() })),
  comments: z.array(z.looseObject({ user: z.looseObject({ name: z.string() }).optional() })).optional(),
});

export const updatesPageSchema = z.looseObject({ updates: z.array(bodhiUpdateSchema), page: z.number().int(), pages: z.number().int() });

/** Release names the updates query covers: every active release the dashboard labels. */
export function updateReleaseNames(env: ProviderEnv): string[] {
  return (env.releases?.releases ?? []).map((r) => r.name).sort();
}

export function updatesUrl(bodhi: string, releases: string[], page: number): string {
  const q = new URLSearchParams();
  for (const r of releases) q.append('releases', r);
  q.append('status', 'pending');
  q.append('status', 'testing');
  q.set('rows_per_page', '100');
  q.set('page', String(page));
  return `${bodhi}/updates/?${q}`;
}

export function toUpdateItem(u: z.output<typeof bodhiUpdateSchema>, labels: ReleaseLabels, bodhi: string): UpdateItem {
  return {
    updateid: u.alias,
    pretty_name: u.display_name || u.title,
    url: u.url || `${bodhi}/updates/${u.alias}`,
    release: labels.bodhi(u.release),
    status: u.status,
    type: u.type,
    karma: u.karma ?? 0,
    comments: (u.comments ?? []).filter((c) => c.user?.name !== 'bodhi').length,
    submission_date: normalizeDate(u.date_submitted),
    stable_by_time: stableByTime(u),
    builds_nvrs: u.builds.map((b) => b.nvr),
  };
}

export const bodhiUpdates: GlobalProviderModule = {
  name: 'bodhi_updates',
  plan: (env) => JSON.stringify([updateReleaseNames(env), env.labels.rawhide]),
  async fetch(ctx, env) {
    const releases = updateReleaseNames(env);
    if (releases.length === 0) {
      throw new MalformedUpstreamError('no release to ask Bodhi about: fedora_releases is empty', env.urls.bodhi);
    }
    const pages = await bodhiPages(ctx, (p) => updatesUrl(env.urls.bodhi, releases, p), updatesPageSchema);
    const byPackage = new Map<string, UpdateItem[]>();
    let count = 0;
    for (const page of pages) {
      for (const u of page.updates) {
        count++;
        const item = toUpdateItem(u, env.labels, env.urls.bodhi);
        for (const pkg of new Set(u.builds.map((b) => nvrName(b.nvr)))) push(byPackage, pkg, item);
      }
    }
    for (const list of byPackage.values()) list.sort((a, b) => (b.submission_date ?? '').localeCompare(a.submission_date ?? '') || a.updateid.localeCompare(b.updateid));
    return { meta: { updates: count, packages: byPackage.size, releases }, entries: byPackage };
  },
};
