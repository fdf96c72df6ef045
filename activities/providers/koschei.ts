// koschei_data: Koschei GET /api/v1/packages (every package of every collection, one answer).
// One row per package: [KoscheiItem], one per collection.
import { z } from 'zod';
import { labelOrder } from '../../core/providers/releases.js';
import { normalizeDate, type KoscheiItem } from '../../core/providers/items.js';
import { parseUpstream } from './http.js';
import { push, type GlobalProviderModule } from './types.js';

/** Where build links point (a link only: Koji is never fetched). */
export const KOJI_WEB = 'https://koji.fedoraproject.org/koji';

export const koscheiPackageSchema = z.looseObject({
  name: z.string(),
  collection: z.string(),
  state: z.string(),
  last_complete_build: z
    .looseObject({ task_id: z.number().int(), time_finished: z.string().nullable().optional() })
    .nullable()
    .optional(),
});
export const koscheiPackagesSchema = z.array(z.unknown());

export const koscheiUrl = (koschei: string) => `${koschei}/api/v1/packages`;

export const koscheiData: GlobalProviderModule = {
  name: 'koschei_data',
  plan: (env) => JSON.stringify([env.labels.rawhide]),
  async fetch(ctx, env) {
    const url = koscheiUrl(env.urls.koschei);
    const list = parseUpstream(koscheiPackagesSchema, await ctx.get(url), url);
    const byPackage = new Map<string, KoscheiItem[]>();
    // Entry by entry (tens of thousands): each validated copy is garbage at once, not all together.
    for (const [i, raw] of list.entries()) {
      const p = parseUpstream(koscheiPackageSchema, raw, url, `[${i}]`);
      if (p.state === 'untracked') continue;
      const b = p.last_complete_build;
      push(byPackage, p.name, {
        release: env.labels.branch(p.collection),
        status: p.state,
        url: `${env.urls.koschei}/package/${encodeURIComponent(p.name)}?collection=${encodeURIComponent(p.collection)}`,
        last_success: b ? { time: b.time_finished ? `${normalizeDate(b.time_finished)!.replace(' ', 'T')}.000000+00:00` : null, url: `${KOJI_WEB}/taskinfo?taskID=${b.task_id}` } : null,
      });
    }
    for (const items of byPackage.values()) items.sort((a, b) => labelOrder(a.release) - labelOrder(b.release));
    return { meta: { packages: byPackage.size }, entries: byPackage };
  },
};
