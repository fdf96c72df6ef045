// bodhi_overrides: Bodhi GET /overrides/?expired=false (paged). One row per package:
// [OverrideItem]. The release comes from the build's dist tag (Bodhi's override carries only a
// release id).
import { z } from 'zod';
import { normalizeDate, type OverrideItem } from '../../core/providers/items.js';
import { nvrName } from '../../core/providers/releases.js';
import { bodhiPages } from './paging.js';
import { push, type GlobalProviderModule } from './types.js';

export const bodhiOverrideSchema = z.looseObject({
  nvr: z.string(),
  submission_date: z.string().nullable().optional(),
  expiration_date: z.string().nullable().optional(),
  expired_date: z.string().nullable().optional(),
});

export const overridesPageSchema = z.looseObject({ overrides: z.array(bodhiOverrideSchema), page: z.number().int(), pages: z.number().int() });

export const overridesUrl = (bodhi: string, page: number) => `${bodhi}/overrides/?expired=false&rows_per_page=100&page=${page}`;

export const bodhiOverrides: GlobalProviderModule = {
  name: 'bodhi_overrides',
  plan: (env) => JSON.stringify([env.labels.rawhide]),
  async fetch(ctx, env) {
    const pages = await bodhiPages(ctx, (p) => overridesUrl(env.urls.bodhi, p), overridesPageSchema);
    const byPackage = new Map<string, OverrideItem[]>();
    let count = 0;
    for (const page of pages) {
      for (const o of page.overrides) {
        if (o.expired_date) continue;
        count++;
        push(byPackage, nvrName(o.nvr), {
          pretty_name: o.nvr,
          url: `${env.urls.bodhi}/overrides/${encodeURIComponent(o.nvr)}`,
          release: env.labels.nvr(o.nvr),
          submission_date: normalizeDate(o.submission_date),
          expiration_date: normalizeDate(o.expiration_date),
        });
      }
    }
    for (const list of byPackage.values()) list.sort((a, b) => a.pretty_name.localeCompare(b.pretty_name));
    return { meta: { overrides: count, packages: byPackage.size }, entries: byPackage };
  },
};
