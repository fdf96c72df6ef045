// fedora_releases: Bodhi GET /releases/?exclude_archived=True (paged). Holds the exact
// /api/v1/releases body plus the release list every other provider labels with. Refreshed first.
import { z } from 'zod';
import { computeReleases, ReleasesError } from '../../core/providers/releases.js';
import { MalformedUpstreamError } from './http.js';
import { bodhiPages } from './paging.js';
import type { GlobalProviderModule } from './types.js';

/** What we read of a Bodhi release. */
export const bodhiReleaseSchema = z.looseObject({
  name: z.string(),
  long_name: z.string().optional(),
  version: z.string(),
  id_prefix: z.string(),
  branch: z.string(),
  stable_tag: z.string().nullable().optional(),
  state: z.enum(['disabled', 'pending', 'frozen', 'current', 'archived']),
});

export const releasesPageSchema = z.looseObject({
  releases: z.array(bodhiReleaseSchema),
  page: z.number().int(),
  pages: z.number().int(),
});

export const releasesUrl = (bodhi: string, page: number) => `${bodhi}/releases/?exclude_archived=True&rows_per_page=100&page=${page}`;

export const fedoraReleases: GlobalProviderModule = {
  name: 'fedora_releases',
  plan: () => 'v1',
  async fetch(ctx, env) {
    const pages = await bodhiPages(ctx, (p) => releasesUrl(env.urls.bodhi, p), releasesPageSchema);
    try {
      return { meta: computeReleases(pages.flatMap((p) => p.releases)), entries: null };
    } catch (err) {
      if (err instanceof ReleasesError) throw new MalformedUpstreamError(`GET ${releasesUrl(env.urls.bodhi, 1)}: ${err.message}`, releasesUrl(env.urls.bodhi, 1));
      throw err;
    }
  },
};
