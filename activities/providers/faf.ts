// packager-dashboard_abrt_issues: FAF GET /problems/?component_names=<pkg>&daterange=<30 days>
// (Accept: application/json). outstanding_problems are the outliers (count > mean + 2.7 sigma);
// retrace_link is the same query for humans. A 404 means FAF does not know the component.
import { z } from 'zod';
import { abrtDateRange, abrtOutliers, type AbrtReports } from '../../core/providers/items.js';
import { parseUpstream } from './http.js';
import type { PackageProviderModule } from './types.js';

export const fafProblemsSchema = z.looseObject({
  problems: z.array(
    z.looseObject({
      id: z.number().int(),
      count: z.number(),
      crash_function: z.string().nullable().optional(),
      components: z.array(z.string()).optional(),
      status: z.string().optional(),
    }),
  ),
});

export const fafUrl = (faf: string, pkg: string, range: string) =>
  `${faf}/problems/?component_names=${encodeURIComponent(pkg)}&daterange=${encodeURIComponent(range)}`;

export const abrtReports: PackageProviderModule = {
  name: 'packager-dashboard_abrt_issues',
  plan: async (_env, _pkg, today) => abrtDateRange(today),
  async fetch(ctx, env, pkg) {
    const url = fafUrl(env.urls.faf, pkg, abrtDateRange(ctx.today));
    const body = await ctx.get(url, { allow404: true });
    const problems = body === null ? [] : parseUpstream(fafProblemsSchema, body, url).problems;
    const out: AbrtReports = {
      outstanding_problems: abrtOutliers(problems).map((p) => ({
        id: p.id,
        count: p.count,
        crash_function: p.crash_function ?? '',
        url: `${env.urls.faf}/problems/${p.id}/`,
      })),
      problems_present: problems.length > 0,
      retrace_link: url,
    };
    return out;
  },
};
