// pagure_groups: src.fedoraproject.org GET /api/0/groups, then for each group
// /api/0/group/<g>?projects=1&acl=commit|admin (paged). One row per group:
// {"commit": [pkg], "admin": [pkg]} (rpms namespace); the meta row lists every group and, from
// each group's `members`, the groups of each user (the v1 views' group_packages).
import { z } from 'zod';
import type { GroupsMeta } from '../../core/providers/dashboard.js';
import { pagurePages } from './paging.js';
import { push, uniqSorted, type GlobalProviderModule } from './types.js';

const pagination = z.looseObject({ page: z.number().int().optional(), pages: z.number().int().nullable().optional() }).nullable().optional();

export const groupsListSchema = z.looseObject({ groups: z.array(z.string()), pagination });
export const groupProjectsSchema = z.looseObject({
  name: z.string().optional(),
  members: z.array(z.string()).optional(),
  projects: z.array(z.looseObject({ name: z.string(), namespace: z.string().nullable().optional() })),
  pagination,
});

export const ACLS = ['commit', 'admin'] as const;
export type GroupAcls = Record<(typeof ACLS)[number], string[]>;


export const groupsUrl = (pagure: string, page: number) => `${pagure}/api/0/groups?per_page=100&page=${page}`;
export const groupUrl = (pagure: string, group: string, acl: string, page: number) =>
  `${pagure}/api/0/group/${encodeURIComponent(group)}?projects=1&acl=${acl}&per_page=100&page=${page}`;

export const pagureGroups: GlobalProviderModule = {
  name: 'pagure_groups',
  plan: () => 'v1',
  async fetch(ctx, env) {
    const lists = (await pagurePages(ctx, (p) => groupsUrl(env.urls.pagure, p), groupsListSchema))!;
    const groups = uniqSorted(lists.flatMap((l) => l.groups));
    const entries = new Map<string, GroupAcls>();
    const jobs = groups.flatMap((g) => ACLS.map((acl) => ({ g, acl })));
    const members = new Map<string, string[]>();
    const results = await ctx.map(jobs, async ({ g, acl }) => {
      // A group deleted between the two requests answers 404: it simply has no packages.
      const pages = await pagurePages(ctx, (p) => groupUrl(env.urls.pagure, g, acl, p), groupProjectsSchema, { allow404: true });
      if (acl === 'commit' && pages?.[0]?.members) for (const user of new Set(pages[0].members)) push(members, user, g);
      return uniqSorted((pages ?? []).flatMap((pg) => pg.projects.filter((p) => (p.namespace ?? 'rpms') === 'rpms').map((p) => p.name)));
    });
    jobs.forEach(({ g, acl }, i) => {
      const entry = entries.get(g) ?? { commit: [], admin: [] };
      entry[acl] = results[i];
      entries.set(g, entry);
    });
    const meta: GroupsMeta = { groups, user_groups: Object.fromEntries([...members.keys()].sort().map((u) => [u, uniqSorted(members.get(u)!)])) };
    return { meta, entries };
  },
};
