// packager-dashboard__all_package_bugs: Bugzilla REST GET /rest/bug for the open bugs of
// components in Fedora and Fedora EPEL (paged with limit/offset; several `component` values in one
// search), then GET /rest/bug/<id>/comment?ids=<id>&ids=... for the comment counts of many bugs
// at once. A sweep asks for COMPONENTS_PER_SEARCH packages per search, and first asks which of its
// packages have bugs changed since their last refresh (`last_change_time`, every status, so a
// closed bug counts): the others are confirmed without a search. BZ_API_KEY goes in the
// X-BUGZILLA-API-KEY header (see http.ts).
import { z } from 'zod';
import { normalizeDate, OPEN_BUG_STATES, prioritySeverity, type BugItem } from '../../core/providers/items.js';
import { isUpstreamFailure, MalformedUpstreamError, mapLimit, parseUpstream, runConditional, type FetchContext } from './http.js';
import type { BatchOutcome, PackageProviderModule, ProviderEnv } from './types.js';

const PAGE = 500;
const MAX_BUGS = 10_000;
/** Components per search (URL length stays a few KB). */
export const COMPONENTS_PER_SEARCH = 50;
/** Bugs per comment request. */
const BUGS_PER_COMMENT_REQUEST = 100;

const stringOrList = z.union([z.string(), z.array(z.string())]);

export const bzBugSchema = z.looseObject({
  id: z.number().int(),
  summary: z.string(),
  status: z.string(),
  priority: z.string(),
  severity: z.string(),
  keywords: z.array(z.string()).optional(),
  product: z.string(),
  component: stringOrList.optional(),
  version: stringOrList.optional(),
  creation_time: z.string(),
  last_change_time: z.string(),
  groups: z.array(z.unknown()).optional(),
});
export const bzSearchSchema = z.looseObject({ bugs: z.array(bzBugSchema) });
export const bzChangedSchema = z.looseObject({ bugs: z.array(z.looseObject({ id: z.number().int(), component: stringOrList.optional() })) });
export const bzCommentsSchema = z.looseObject({
  bugs: z.record(z.string(), z.looseObject({ comments: z.array(z.unknown()) })),
});

type Bug = z.output<typeof bzBugSchema>;

export const INCLUDE_FIELDS = 'id,summary,status,priority,severity,keywords,product,component,version,creation_time,last_change_time,groups';

function searchQuery(components: string[]): URLSearchParams {
  const q = new URLSearchParams();
  q.append('product', 'Fedora');
  q.append('product', 'Fedora EPEL');
  for (const c of components) q.append('component', c);
  return q;
}

/** The open bugs of one or more components. */
export function bugSearchUrl(bugzilla: string, pkg: string | string[], offset: number): string {
  const q = searchQuery(Array.isArray(pkg) ? pkg : [pkg]);
  for (const s of OPEN_BUG_STATES) q.append('bug_status', s);
  q.set('include_fields', INCLUDE_FIELDS);
  q.set('limit', String(PAGE));
  q.set('offset', String(offset));
  return `${bugzilla}/rest/bug?${q}`;
}

/** Bugs of the components changed at or after `since`, whatever their status. */
export function bugChangedUrl(bugzilla: string, components: string[], since: Date, offset: number): string {
  const q = searchQuery(components);
  q.set('last_change_time', since.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  q.set('include_fields', 'id,component');
  q.set('limit', String(PAGE));
  q.set('offset', String(offset));
  return `${bugzilla}/rest/bug?${q}`;
}

/** Comments of one bug, or of several (`ids`), ids only. */
export function bugCommentsUrl(bugzilla: string, id: number | number[]): string {
  const ids = Array.isArray(id) ? id : [id];
  const more = ids.slice(1).map((i) => `&ids=${i}`).join('');
  return `${bugzilla}/rest/bug/${ids[0]}/comment?include_fields=id${more}`;
}

const componentsOf = (b: { component?: string | string[] }) => (b.component === undefined ? [] : Array.isArray(b.component) ? b.component : [b.component]);

/** Every page of a search. */
async function searchAll<S extends z.ZodType<{ bugs: unknown[] }>>(ctx: FetchContext, urlFor: (offset: number) => string, schema: S): Promise<z.output<S>['bugs']> {
  const found: unknown[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const url = urlFor(offset);
    const page = parseUpstream(schema, await ctx.get(url), url).bugs;
    found.push(...page);
    if (page.length < PAGE) break;
    if (found.length >= MAX_BUGS) throw new MalformedUpstreamError(`GET ${url}: more than ${MAX_BUGS} bugs`, url);
  }
  return found as z.output<S>['bugs'];
}

/** Comment counts of bugs (the first comment is the description), BUGS_PER_COMMENT_REQUEST at a time. */
async function commentCounts(ctx: FetchContext, env: ProviderEnv, ids: number[]): Promise<Map<number, number>> {
  const chunks: number[][] = [];
  for (let i = 0; i < ids.length; i += BUGS_PER_COMMENT_REQUEST) chunks.push(ids.slice(i, i + BUGS_PER_COMMENT_REQUEST));
  const counts = new Map<number, number>();
  await ctx.map(chunks, async (chunk) => {
    const url = bugCommentsUrl(env.urls.bugzilla, chunk);
    const body = parseUpstream(bzCommentsSchema, await ctx.get(url), url);
    for (const id of chunk) counts.set(id, Math.max(0, (body.bugs[String(id)]?.comments.length ?? 1) - 1));
  });
  return counts;
}

function toItem(b: Bug, env: ProviderEnv, comments: number): BugItem {
  const version = Array.isArray(b.version) ? b.version[0] : b.version;
  return {
    bug_id: b.id,
    title: b.summary,
    url: `${env.urls.bugzilla}/show_bug.cgi?id=${b.id}`,
    status: b.status,
    severity: b.severity,
    priority: b.priority,
    priority_severity: prioritySeverity(b.priority, b.severity),
    keywords: b.keywords ?? [],
    release: env.labels.bugzilla(b.product, version),
    reported: normalizeDate(b.creation_time) ?? b.creation_time,
    modified: normalizeDate(b.last_change_time) ?? b.last_change_time,
    comments,
    private: (b.groups ?? []).length > 0,
  };
}

const sortItems = (items: BugItem[]) => items.sort((a, b) => b.modified.localeCompare(a.modified) || a.bug_id - b.bug_id);

/** The open bugs of `pkgs`, per package (a bug filed against several of them counts for each). */
async function bugsOf(ctx: FetchContext, env: ProviderEnv, pkgs: string[]): Promise<Map<string, BugItem[]>> {
  const found = (await searchAll(ctx, (offset) => bugSearchUrl(env.urls.bugzilla, pkgs, offset), bzSearchSchema)) as Bug[];
  const counts = await commentCounts(ctx, env, [...new Set(found.map((b) => b.id))]);
  const out = new Map<string, BugItem[]>(pkgs.map((p) => [p, []]));
  const single = pkgs.length === 1 ? pkgs[0] : null;
  for (const b of found) {
    const item = toItem(b, env, counts.get(b.id) ?? 0);
    // One component asked for: the bug is its bug (a server that leaves `component` out is fine).
    for (const c of single ? [single] : componentsOf(b)) out.get(c)?.push(item);
  }
  for (const items of out.values()) sortItems(items);
  return out;
}

const chunked = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, (i + 1) * n));

export const bugs: PackageProviderModule = {
  name: 'packager-dashboard__all_package_bugs',
  plan: async (env) => JSON.stringify([env.labels.rawhide]),
  async fetch(ctx, env, pkg) {
    return (await bugsOf(ctx, env, [pkg])).get(pkg)!;
  },
  async changedSince(ctx, env, pkgs, since) {
    const changed = new Set<string>();
    await ctx.map(chunked(pkgs, COMPONENTS_PER_SEARCH), async (chunk) => {
      const asked = new Set(chunk);
      const found = await searchAll(ctx, (offset) => bugChangedUrl(env.urls.bugzilla, chunk, since, offset), bzChangedSchema);
      for (const b of found) for (const c of componentsOf(b)) if (asked.has(c)) changed.add(c);
      // A server that leaves `component` out: every package of the chunk may have changed.
      if (found.some((b) => componentsOf(b).length === 0)) for (const c of chunk) changed.add(c);
    });
    return changed;
  },
  async fetchBatch(client, env, items, today) {
    const out = new Map<string, BatchOutcome>();
    // A few searches at once; each runs its comment requests UPSTREAM_CONCURRENCY at a time.
    await mapLimit(chunked(items, COMPONENTS_PER_SEARCH), 4, async (chunk) => {
      const pkgs = chunk.map((i) => i.pkg);
      try {
        const result = await runConditional(client, null, 'batch', (ctx) => bugsOf(ctx, env, pkgs), today);
        if (result.unchanged) throw new Error('unreachable: an unconditional fetch is never unchanged');
        for (const i of chunk) out.set(i.pkg, { unchanged: false, value: result.value.get(i.pkg) ?? [], validators: { plan: i.plan } });
      } catch (err) {
        if (!isUpstreamFailure(err)) throw err;
        for (const p of pkgs) out.set(p, { error: err });
      }
    });
    return out;
  },
};
