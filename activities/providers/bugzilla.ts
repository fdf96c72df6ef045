// packager-dashboard__all_package_bugs: Bugzilla REST GET /rest/bug for the open bugs of a
// component in Fedora and Fedora EPEL (paged with limit/offset), then /rest/bug/<id>/comment for
// each bug's comment count. BZ_API_KEY goes in the X-BUGZILLA-API-KEY header (see http.ts).
import { z } from 'zod';
import { normalizeDate, OPEN_BUG_STATES, prioritySeverity, type BugItem } from '../../core/providers/items.js';
import { MalformedUpstreamError, parseUpstream } from './http.js';
import type { PackageProviderModule } from './types.js';

const PAGE = 500;
const MAX_BUGS = 10_000;

const stringOrList = z.union([z.string(), z.array(z.string())]);

export const bzBugSchema = z.looseObject({
  id: z.number().int(),
  summary: z.string(),
  status: z.string(),
  priority: z.string(),
  severity: z.string(),
  keywords: z.array(z.string()).optional(),
  product: z.string(),
  version: stringOrList.optional(),
  creation_time: z.string(),
  last_change_time: z.string(),
  groups: z.array(z.unknown()).optional(),
});
export const bzSearchSchema = z.looseObject({ bugs: z.array(bzBugSchema) });
export const bzCommentsSchema = z.looseObject({
  bugs: z.record(z.string(), z.looseObject({ comments: z.array(z.unknown()) })),
});

export const INCLUDE_FIELDS = 'id,summary,status,priority,severity,keywords,product,component,version,creation_time,last_change_time,groups';

export function bugSearchUrl(bugzilla: string, pkg: string, offset: number): string {
  const q = new URLSearchParams();
  q.append('product', 'Fedora');
  q.append('product', 'Fedora EPEL');
  q.set('component', pkg);
  for (const s of OPEN_BUG_STATES) q.append('bug_status', s);
  q.set('include_fields', INCLUDE_FIELDS);
  q.set('limit', String(PAGE));
  q.set('offset', String(offset));
  return `${bugzilla}/rest/bug?${q}`;
}
export const bugCommentsUrl = (bugzilla: string, id: number) => `${bugzilla}/rest/bug/${id}/comment?include_fields=id`;

export const bugs: PackageProviderModule = {
  name: 'packager-dashboard__all_package_bugs',
  plan: async (env) => JSON.stringify([env.labels.rawhide]),
  async fetch(ctx, env, pkg) {
    const found: z.output<typeof bzBugSchema>[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const url = bugSearchUrl(env.urls.bugzilla, pkg, offset);
      const page = parseUpstream(bzSearchSchema, await ctx.get(url), url).bugs;
      found.push(...page);
      if (page.length < PAGE) break;
      if (found.length >= MAX_BUGS) throw new MalformedUpstreamError(`GET ${url}: more than ${MAX_BUGS} open bugs`, url);
    }
    const counts = await ctx.map(found, async (b) => {
      const url = bugCommentsUrl(env.urls.bugzilla, b.id);
      const body = parseUpstream(bzCommentsSchema, await ctx.get(url), url);
      // The first comment is the bug's description.
      return Math.max(0, (body.bugs[String(b.id)]?.comments.length ?? 1) - 1);
    });
    const items: BugItem[] = found.map((b, i) => {
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
        comments: counts[i],
        private: (b.groups ?? []).length > 0,
      };
    });
    return items.sort((a, b) => b.modified.localeCompare(a.modified) || a.bug_id - b.bug_id);
  },
};
