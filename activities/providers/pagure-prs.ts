// packager_dashboard_package_prs: src.fedoraproject.org GET /api/0/rpms/<pkg>/pull-requests?status=Open
// (paged), then /api/0/rpms/<pkg>/pull-request/<id>/flag for each PR's CI status, keyed by flag
// username (the newest flag of a username wins). A package dist-git does not know is a 404: no PRs.
// Pagure's per-project list has no changed-since filter, but dist-git announces every pull-request
// event on the message bus (pagure's `pull-request.*` topics, the pull request with its target
// `project` in the body): a sweep asks datagrepper which packages had such messages since their
// last refresh and lists only those (DATAGREPPER_URL; none, or a gap in the feed: every package).
import { z } from 'zod';
import { normalizeDate, type PrItem } from '../../core/providers/items.js';
import { messagesSince } from './datagrepper.js';
import { parseUpstream } from './http.js';
import { pagurePages } from './paging.js';
import type { PackageProviderModule } from './types.js';

const epoch = z.union([z.string(), z.number()]);

export const pagurePrSchema = z.looseObject({
  id: z.number().int(),
  title: z.string(),
  status: z.string().optional(),
  branch: z.string(),
  date_created: epoch,
  last_updated: epoch.nullable().optional(),
  user: z.looseObject({ name: z.string() }),
  comments: z.array(z.unknown()).optional(),
});
export const pagurePrListSchema = z.looseObject({
  requests: z.array(pagurePrSchema),
  pagination: z.looseObject({ pages: z.number().int().nullable().optional() }).nullable().optional(),
});
export const pagureFlagsSchema = z.looseObject({
  flags: z.array(z.looseObject({ username: z.string(), status: z.string().nullable(), date_created: epoch.optional() })),
});

export const prListUrl = (pagure: string, pkg: string, page: number) =>
  `${pagure}/api/0/rpms/${encodeURIComponent(pkg)}/pull-requests?status=Open&per_page=100&page=${page}`;
export const prFlagsUrl = (pagure: string, pkg: string, id: number) => `${pagure}/api/0/rpms/${encodeURIComponent(pkg)}/pull-request/${id}/flag`;

/**
 * Every topic dist-git's Pagure publishes about a pull request (pagure/lib/query.py, git.py,
 * api/fork.py, ui/fork.py): whatever changes the list, a PR's title, branch, comments, flags or
 * last update sends one of them.
 */
export const PR_TOPICS = [
  'new', 'updated', 'rebased', 'closed', 'reopened', 'comment.added', 'comment.edited', 'initial_comment.edited',
  'flag.added', 'flag.updated', 'assigned.added', 'assigned.reset', 'tag.added', 'tag.removed',
].map((t) => `pagure.pull-request.${t}`);

export const prMessageSchema = z.looseObject({
  pullrequest: z.looseObject({ project: z.looseObject({ name: z.string(), namespace: z.string().nullable().optional() }) }),
});

/** CI status per flag username; the newest flag of each username wins. */
export function ciStatus(flags: z.output<typeof pagureFlagsSchema>['flags']): Record<string, string | null> {
  const newest = new Map<string, { status: string | null; at: number }>();
  for (const f of flags) {
    const at = Number(f.date_created ?? 0);
    const prev = newest.get(f.username);
    if (!prev || at >= prev.at) newest.set(f.username, { status: f.status, at });
  }
  return Object.fromEntries([...newest.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([u, v]) => [u, v.status]));
}

export const pullRequests: PackageProviderModule = {
  name: 'packager_dashboard_package_prs',
  plan: async (env) => JSON.stringify([env.labels.rawhide]),
  async fetch(ctx, env, pkg) {
    const pages = await pagurePages(ctx, (p) => prListUrl(env.urls.pagure, pkg, p), pagurePrListSchema, { allow404: true });
    const prs = (pages ?? []).flatMap((p) => p.requests).filter((r) => (r.status ?? 'Open') === 'Open');
    const flags = await ctx.map(prs, async (pr) => {
      const url = prFlagsUrl(env.urls.pagure, pkg, pr.id);
      const body = await ctx.get(url, { allow404: true });
      return body === null ? {} : ciStatus(parseUpstream(pagureFlagsSchema, body, url).flags);
    });
    const items: PrItem[] = prs.map((pr, i) => ({
      title: pr.title,
      url: `${env.urls.pagure}/rpms/${encodeURIComponent(pkg)}/pull-request/${pr.id}`,
      author: pr.user.name,
      release: env.labels.branch(pr.branch),
      date_created: normalizeDate(pr.date_created),
      last_updated: normalizeDate(pr.last_updated ?? pr.date_created),
      comments: (pr.comments ?? []).length,
      ci_status: flags[i],
    }));
    return items.sort((a, b) => (b.last_updated ?? '').localeCompare(a.last_updated ?? '') || a.url.localeCompare(b.url));
  },
  async changedSince(ctx, env, pkgs, since) {
    if (env.urls.datagrepper === null) return null;
    const base = env.urls.datagrepper;
    const messages = await messagesSince(ctx, base, PR_TOPICS.map((t) => `${env.urls.topicPrefix}.${t}`), since.getTime());
    if (messages === null) return null;
    const asked = new Set(pkgs);
    const changed = new Set<string>();
    for (const m of messages) {
      const { project } = parseUpstream(prMessageSchema, m.body, `${base}/v2/search`, m.topic).pullrequest;
      if ((project.namespace ?? 'rpms') === 'rpms' && asked.has(project.name)) changed.add(project.name);
    }
    return changed;
  },
};
