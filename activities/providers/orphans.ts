// orphans: the orphans JSON file (ORPHANS_URL, full URL; spec Part B section 1 item 8).
// One row per package that is orphaned or depends on an orphaned package (the OrphanItem of
// core/providers/files.ts); the meta row counts them.
import { z } from 'zod';
import { orphanItems } from '../../core/providers/files.js';
import { parseUpstream } from './http.js';
import type { GlobalProviderModule } from './types.js';

export const orphansFileSchema = z.looseObject({
  status_change: z.record(z.string(), z.string()),
  affected_packages: z.record(z.string(), z.array(z.string())),
});

export const orphans: GlobalProviderModule = {
  name: 'orphans',
  plan: (env) => JSON.stringify([env.urls.orphans]),
  async fetch(ctx, env) {
    const url = env.urls.orphans;
    const file = parseUpstream(orphansFileSchema, await ctx.get(url), url);
    const items = orphanItems(file);
    const orphaned = [...items.values()].filter((i) => i.orphaned).length;
    return { meta: { orphaned, affected: items.size - orphaned }, entries: items };
  },
};
