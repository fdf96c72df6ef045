// package_versions_generic: per package, {"Fedora 41": {"stable": nvr|null, "testing": nvr|null},
// "Fedora Rawhide": {...}, "Fedora ELN": {...}, "EPEL 9": {...}}. Stable builds come from Koji:
// `getLatestBuilds(<release's Bodhi stable_tag>, package=<pkg>)` (f41-updates inherits f41), for
// many packages in one `multiCall` POST; mdapi (GET <branch>/srcpkg/<name>; a Fedora release's
// <branch>-updates first, then <branch>; 404 means "not there") answers for a release without a
// stable tag and for everything when KOJI_HUB_URL is none. Testing builds come from the cached Bodhi
// updates (status testing), so this provider depends on fedora_releases and bodhi_updates. A stable
// build changes only through Bodhi (pushes of composed releases, Rawhide's automatic updates), so a
// sweep first asks Bodhi for the updates pushed or submitted since the packages' last refresh
// (`pushed_since`, `submitted_since`) and asks about the packages those name only.
import { z } from 'zod';
import type { PackageVersions, UpdateItem } from '../../core/providers/items.js';
import { labelOrder, nvrName, type ReleaseInfo } from '../../core/providers/releases.js';
import { kojiBuildSchema } from '../koji/client.js';
import { decodeMethodResponse, encodeMethodCall, kwargs, XmlRpcFault, type XmlRpcValue } from '../koji/xmlrpc.js';
import { isUpstreamFailure, MalformedUpstreamError, parseUpstream, runConditional, UpstreamError, type FetchContext } from './http.js';
import { bodhiPages } from './paging.js';
import type { BatchOutcome, PackageProviderModule, ProviderEnv } from './types.js';

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

async function mdapiBuild(ctx: FetchContext, env: ProviderEnv, r: ReleaseInfo, pkg: string): Promise<string | null> {
  for (const branch of stableBranches(r)) {
    const url = mdapiUrl(env.urls.mdapi, branch, pkg);
    const body = await ctx.get(url, { allow404: true });
    if (body === null) continue;
    const p = parseUpstream(mdapiSrcpkgSchema, body, url);
    return `${p.name}-${p.version}-${p.release}`;
  }
  return null;
}

/** Each call's answer: getLatestBuilds' list of 0 or 1 tagged builds, or a fault. */
const multiCallResultSchema = z.array(z.union([z.tuple([z.array(kojiBuildSchema)]), z.looseObject({ faultCode: z.number(), faultString: z.string() })]));

/** Packages per Koji multiCall (times the releases with a stable tag: about 600 calls, a few MB of answer). */
export const PACKAGES_PER_MULTICALL = 100;

/** The multiCall body asking the latest build of each (tag, package). */
export function latestBuildsCall(pairs: Array<{ tag: string; pkg: string }>): string {
  const calls: XmlRpcValue[] = pairs.map(({ tag, pkg }) => ({ methodName: 'getLatestBuilds', params: [tag, kwargs({ package: pkg })] }));
  return encodeMethodCall('multiCall', [calls]);
}

/** The latest build of each (tag, package) pair in one multiCall: nvr or null. A fault fails them all. */
async function kojiBuilds(ctx: FetchContext, hub: string, pairs: Array<{ tag: string; pkg: string }>): Promise<Array<string | null>> {
  if (pairs.length === 0) return [];
  const text = await ctx.post(hub, latestBuildsCall(pairs));
  let decoded: unknown;
  try {
    decoded = decodeMethodResponse(text);
  } catch (err) {
    if (err instanceof XmlRpcFault) throw new UpstreamError(`POST ${hub} multiCall: fault ${err.faultCode}: ${err.faultString}`, hub);
    throw new MalformedUpstreamError(`POST ${hub}: not an XML-RPC answer: ${(err as Error).message}`, hub);
  }
  const results = parseUpstream(multiCallResultSchema, decoded, hub);
  if (results.length !== pairs.length) throw new MalformedUpstreamError(`POST ${hub}: ${results.length} multiCall results for ${pairs.length} calls`, hub);
  return results.map((r, i) => {
    if (!Array.isArray(r)) throw new UpstreamError(`POST ${hub} getLatestBuilds(${pairs[i].tag}, package=${pairs[i].pkg}): fault ${r.faultCode}: ${r.faultString}`, hub);
    const b = r[0][0];
    return b ? `${b.package_name}-${b.version}-${b.release}` : null;
  });
}

/** Stable builds of each package, per release in `releases`' order: Koji where it can answer, mdapi elsewhere. */
async function stableBuilds(ctx: FetchContext, env: ProviderEnv, releases: ReleaseInfo[], pkgs: string[]): Promise<Map<string, Array<string | null>>> {
  const hub = env.urls.koji;
  const byKoji = (r: ReleaseInfo) => hub !== null && !!r.stable_tag;
  const pairs = pkgs.flatMap((pkg) => releases.filter(byKoji).map((r) => ({ tag: r.stable_tag!, pkg })));
  const fromKoji = hub ? await kojiBuilds(ctx, hub, pairs) : [];
  const out = new Map<string, Array<string | null>>();
  let k = 0;
  for (const pkg of pkgs) {
    out.set(pkg, releases.map((r) => (byKoji(r) ? fromKoji[k++] : null)));
  }
  await ctx.map(pkgs, async (pkg) => {
    const builds = out.get(pkg)!;
    const rest = releases.map((r, i) => [r, i] as const).filter(([r]) => !byKoji(r));
    const got = await ctx.map(rest, ([r]) => mdapiBuild(ctx, env, r, pkg));
    rest.forEach(([, i], j) => (builds[i] = got[j]));
  });
  return out;
}

async function versionsOf(ctx: FetchContext, env: ProviderEnv, pkgs: string[]): Promise<Map<string, PackageVersions>> {
  const releases = releasesToAsk(env).sort((a, b) => labelOrder(a.label) - labelOrder(b.label));
  const stable = await stableBuilds(ctx, env, releases, pkgs);
  const out = new Map<string, PackageVersions>();
  for (const pkg of pkgs) {
    const testing = testingFromUpdates(await env.readData<UpdateItem[]>('bodhi_updates', pkg), pkg);
    const versions: PackageVersions = {};
    releases.forEach((r, i) => {
      const entry = { stable: stable.get(pkg)![i], testing: testing[r.label] ?? null };
      if (entry.stable !== null || entry.testing !== null) versions[r.label] = entry;
    });
    out.set(pkg, versions);
  }
  return out;
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
    // Which upstream answers for a release (its Koji tag, or mdapi) is part of the plan.
    const source = (r: ReleaseInfo) => (env.urls.koji !== null && r.stable_tag ? r.stable_tag : 'mdapi');
    return JSON.stringify([releasesToAsk(env).map((r) => [r.name, source(r)]), env.labels.rawhide, testing]);
  },
  async fetch(ctx, env, pkg) {
    return (await versionsOf(ctx, env, [pkg])).get(pkg)!;
  },
  async fetchBatch(client, env, items, today) {
    // Without Koji, mdapi is asked package by package, conditionally.
    if (env.urls.koji === null) return null;
    const out = new Map<string, BatchOutcome>();
    const chunks = Array.from({ length: Math.ceil(items.length / PACKAGES_PER_MULTICALL) }, (_, i) => items.slice(i * PACKAGES_PER_MULTICALL, (i + 1) * PACKAGES_PER_MULTICALL));
    await Promise.all(
      chunks.map(async (chunk) => {
        const pkgs = chunk.map((i) => i.pkg);
        try {
          const result = await runConditional(client, null, 'batch', (ctx) => versionsOf(ctx, env, pkgs), today);
          if (result.unchanged) throw new Error('unreachable: an unconditional fetch is never unchanged');
          for (const i of chunk) out.set(i.pkg, { unchanged: false, value: result.value.get(i.pkg)!, validators: { plan: i.plan } });
        } catch (err) {
          if (!isUpstreamFailure(err)) throw err;
          for (const p of pkgs) out.set(p, { error: err });
        }
      }),
    );
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
