// packager-dashboard_abrt_issues: FAF GET /problems/?component_names=<pkg>[,<pkg>...]&daterange=<30 days>
// (Accept: application/json; FAF's problem filter takes a comma-separated list of components and
// each problem lists its `components`). outstanding_problems are the outliers (count > mean +
// 2.7 sigma) among a package's problems; retrace_link is the one-package query for humans. A 404
// means FAF does not know the component(s). A sweep asks for COMPONENTS_PER_REQUEST packages at
// once, conditionally when the same packages were asked together last time.
import { z } from 'zod';
import { abrtDateRange, abrtOutliers, type AbrtReports } from '../../core/providers/items.js';
import { isUpstreamFailure, mapLimit, parseUpstream, runConditional } from './http.js';
import type { BatchOutcome, PackageProviderModule, ProviderEnv } from './types.js';

/** Components per FAF request. */
export const COMPONENTS_PER_REQUEST = 50;

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
type Problem = z.output<typeof fafProblemsSchema>['problems'][number];

export const fafUrl = (faf: string, pkg: string | string[], range: string) =>
  `${faf}/problems/?component_names=${(Array.isArray(pkg) ? pkg : [pkg]).map(encodeURIComponent).join(',')}&daterange=${encodeURIComponent(range)}`;

function reports(env: ProviderEnv, pkg: string, problems: Problem[], today: Date): AbrtReports {
  return {
    outstanding_problems: abrtOutliers(problems).map((p) => ({
      id: p.id,
      count: p.count,
      crash_function: p.crash_function ?? '',
      url: `${env.urls.faf}/problems/${p.id}/`,
    })),
    problems_present: problems.length > 0,
    retrace_link: fafUrl(env.urls.faf, pkg, abrtDateRange(today)),
  };
}

export const abrtReports: PackageProviderModule = {
  name: 'packager-dashboard_abrt_issues',
  plan: async (_env, _pkg, today) => abrtDateRange(today),
  async fetch(ctx, env, pkg) {
    const url = fafUrl(env.urls.faf, pkg, abrtDateRange(ctx.today));
    const body = await ctx.get(url, { allow404: true });
    return reports(env, pkg, body === null ? [] : parseUpstream(fafProblemsSchema, body, url).problems, ctx.today);
  },
  async fetchBatch(client, env, items, today) {
    const out = new Map<string, BatchOutcome>();
    const chunks = Array.from({ length: Math.ceil(items.length / COMPONENTS_PER_REQUEST) }, (_, i) => items.slice(i * COMPONENTS_PER_REQUEST, (i + 1) * COMPONENTS_PER_REQUEST));
    await mapLimit(chunks, client.settings.concurrency, async (chunk) => {
      const pkgs = chunk.map((i) => i.pkg);
      const range = abrtDateRange(today);
      const url = fafUrl(env.urls.faf, pkgs, range);
      // The same packages asked together with the same plan last time: ask conditionally.
      const prev = chunk[0].previous;
      const shared = chunk.every((i) => i.plan === chunk[0].plan && Object.keys(i.previous?.urls ?? {}).join() === url && i.previous?.plan === i.plan) ? prev : null;
      try {
        const result = await runConditional(client, shared, chunk[0].plan, async (ctx) => {
          const body = await ctx.get(url, { allow404: true });
          return body === null ? [] : parseUpstream(fafProblemsSchema, body, url).problems;
        }, today);
        if (result.unchanged) {
          for (const p of pkgs) out.set(p, { unchanged: true });
          return;
        }
        const byComponent = new Map<string, Problem[]>(pkgs.map((p) => [p, []]));
        for (const problem of result.value) for (const c of new Set(problem.components ?? [])) byComponent.get(c)?.push(problem);
        for (const p of pkgs) out.set(p, { unchanged: false, value: reports(env, p, byComponent.get(p)!, today), validators: result.validators });
      } catch (err) {
        if (!isUpstreamFailure(err)) throw err;
        for (const p of pkgs) out.set(p, { error: err });
      }
    });
    return out;
  },
};
