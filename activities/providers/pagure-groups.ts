// pagure_groups: src.fedoraproject.org GET /api/0/groups, then for each group one listing of every
// project it has access to, /api/0/group/<g>?projects=1 (paged), each project naming the groups of
// each access level (`access_groups`): "commit" is what acl=commit would list (commit or admin),
// "admin" the admin ones, so one listing per group instead of one per level. One row per group:
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
  projects: z.array(
    z.looseObject({
      name: z.string(),
      namespace: z.string().nullable().optional(),
      access_groups: z.looseObject({ admin: z.array(z.string()), commit: z.array(z.string()) }),
    }),
  ),
  pagination,
});

export const ACLS = ['commit', 'admin'] as const;
export type GroupAcls = Record<(typeof ACLS)[number], string[]>;


export const groupsUrl = (pagure: string, page: number) => `${pagure}/api/0/groups?per_page=100&page=${page}`;
export const groupUrl = (pagure: string, group: string, page: number) => `${pagure}/api/0/group/${encodeURIComponent(group)}?projects=1&per_page=100&page=${page}`;

export const pagureGroups: GlobalProviderModule = {
  name: 'pagure_groups',
  plan: () => 'v1',
  async fetch(ctx, env) {
    const lists = (await pagurePages(ctx, (p) => groupsUrl(env.urls.pagure, p), groupsListSchema))!;
    const groups = uniqSorted(lists.flatMap((l) => l.groups));
    const entries = new Map<string, GroupAcls>();
    const members = new Map<string, string[]>();
    const results = await ctx.map(groups, async (g) => {
      // A group deleted between the two requests answers 404: it simply has no packages.
      const pages = await pagurePages(ctx, (p) => groupUrl(env.urls.pagure, g, p), groupProjectsSchema, { allow404: true });
      if (pages?.[0]?.members) for (const user of new Set(pages[0].members)) push(members, user, g);
      const rpms = (pages ?? []).flatMap((pg) => pg.projects.filter((p) => (p.namespace ?? 'rpms') === 'rpms'));
      const admin = rpms.filter((p) => p.access_groups.admin.includes(g));
      return { commit: uniqSorted([...admin, ...rpms.filter((p) => p.access_groups.commit.includes(g))].map((p) => p.name)), admin: uniqSorted(admin.map((p) => p.name)) };
    });
    groups.forEach((g, i) => entries.set(g, results[i]));
    const meta: GroupsMeta = { groups, user_groups: Object.fromEntries([...members.keys()].sort().map((u) => [u, uniqSorted(members.get(u)!)])) };
    return { meta, entries };
  },
};
