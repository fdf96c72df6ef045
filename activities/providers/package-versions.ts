// package_versions_generic: per package, {"Fedora 41": {"stable": nvr|null, "testing": nvr|null},
// "Fedora Rawhide": {...}, "Fedora ELN": {...}, "EPEL 9": {...}}. Stable builds come from mdapi
// (GET <branch>/srcpkg/<name>; a Fedora release's <branch>-updates first, then <branch>; 404 means
// "not there"); testing builds from the cached Bodhi updates (status testing), so this provider
// depends on fedora_releases and bodhi_updates. mdapi has no bulk endpoint: the data is kept per
// package, for packages somebody asked for, on a Schedule of its own. A stable build changes only
// through Bodhi (pushes of composed releases, Rawhide's automatic updates), so a sweep first asks
// Bodhi for the updates pushed or submitted since the packages' last refresh (`pushed_since`,
// `submitted_since`) and asks mdapi only about the packages those name.
import { z } from 'zod';
import type { PackageVersions, UpdateItem } from '../../core/providers/items.js';
import { labelOrder, nvrName, type ReleaseInfo } from '../../core/providers/releases.js';
import { parseUpstream, type FetchContext } from './http.js';
import { bodhiPages } from './paging.js';
import type { PackageProviderModule, ProviderEnv } from './types.js';

export const mdapiSrcpkgSchema = z.looseObject({
  name: z.string(),
  epoch: z.union([z.string(), z.number()]).nullable().optional(),
  version: z.string(),
  release: z.string(),
});

export const mdapiUrl = (mdapi: string, branch: string, pkg: string) => `${mdapi}/${branch}/srcpkg/${encodeURIComponent(pkg)}`;

/** mdapi branches to ask, in order, for a release's stable build. */
export function stableBranches(r: ReleaseInfo): string[] {
  if (r.kind === 'eln') return ['eln'];
  if (r.kind === 'epel') return [`epel${r.version}`];
  if (r.label === 'Fedora Rawhide') return ['rawhide'];
  return [`${r.branch}-updates`, r.branch];
}

/** Testing builds of the package per release label, from its cached Bodhi updates. */
export function testingFromUpdates(updates: UpdateItem[] | null, pkg: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const u of updates ?? []) {
    if (u.status !== 'testing') continue;
    const nvr = u.builds_nvrs.find((b) => nvrName(b) === pkg);
    if (nvr && !out[u.release]) out[u.release] = nvr;
  }
  return out;
}

/** One entry per label (EPEL 10.0 and 10.1 are both "EPEL 10": the first wins). */
function releasesToAsk(env: ProviderEnv): ReleaseInfo[] {
  const seen = new Set<string>();
  return (env.releases?.releases ?? []).filter((r) => !seen.has(r.label) && seen.add(r.label));
}

async function stableBuild(ctx: FetchContext, env: ProviderEnv, r: ReleaseInfo, pkg: string): Promise<string | null> {
  for (const branch of stableBranches(r)) {
    const url = mdapiUrl(env.urls.mdapi, branch, pkg);
    const body = await ctx.get(url, { allow404: true });
    if (body === null) continue;
    const p = parseUpstream(mdapiSrcpkgSchema, body, url);
    return `${p.name}-${p.version}-${p.release}`;
  }
  return null;
}

const bodhiSince = (since: Date) => since.toISOString().replace(/\.\d{3}Z$/, '');
export const updatesPushedSinceUrl = (bodhi: string, since: Date, page: number) =>
  `${bodhi}/updates/?pushed_since=${encodeURIComponent(bodhiSince(since))}&rows_per_page=100&page=${page}`;
export const updatesSubmittedSinceUrl = (bodhi: string, since: Date, page: number) =>
  `${bodhi}/updates/?submitted_since=${encodeURIComponent(bodhiSince(since))}&rows_per_page=100&page=${page}`;

const changedUpdatesSchema = z.looseObject({ updates: z.array(z.looseObject({ builds: z.array(z.looseObject({ nvr: z.string() })) })) });

export const packageVersions: PackageProviderModule = {
  name: 'package_versions_generic',
  async prepare(env, pkgs) {
    await env.preload('bodhi_updates', pkgs);
  },
  async plan(env, pkg) {
    const testing = testingFromUpdates(await env.readData<UpdateItem[]>('bodhi_updates', pkg), pkg);
    return JSON.stringify([releasesToAsk(env).map((r) => r.name), env.labels.rawhide, testing]);
  },
  async fetch(ctx, env, pkg) {
    const testing = testingFromUpdates(await env.readData<UpdateItem[]>('bodhi_updates', pkg), pkg);
    const releases = releasesToAsk(env).sort((a, b) => labelOrder(a.label) - labelOrder(b.label));
    const stable = await ctx.map(releases, (r) => stableBuild(ctx, env, r, pkg));
    const out: PackageVersions = {};
    releases.forEach((r, i) => {
      const entry = { stable: stable[i], testing: testing[r.label] ?? null };
      if (entry.stable !== null || entry.testing !== null) out[r.label] = entry;
    });
    return out;
  },
  async changedSince(ctx, env, pkgs, since) {
    const asked = new Set(pkgs);
    const changed = new Set<string>();
    for (const urlFor of [updatesPushedSinceUrl, updatesSubmittedSinceUrl]) {
      for (const page of await bodhiPages(ctx, (p) => urlFor(env.urls.bodhi, since, p), changedUpdatesSchema)) {
        for (const u of page.updates) for (const b of u.builds) if (asked.has(nvrName(b.nvr))) changed.add(nvrName(b.nvr));
      }
    }
    return changed;
  },
};
