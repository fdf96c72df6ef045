// fails_to_install: the fails-to-install JSON file (FTI_URL, full URL; spec Part B section 1 item 9)
// [U: shaped as repochecker writes it]: {branch: {repo: {pkg: {arch: {reason: [str], since}}}}},
// `since` in RFC 3339 with nanoseconds. One row per package: [{release, repo, problems}], where
// an arch key starting with "src" means the package fails to build.
import { z } from 'zod';
import { labelOrder } from '../../core/providers/releases.js';
import { RFC3339 } from '../../core/providers/files.js';
import { parseUpstream } from './http.js';
import { push, type GlobalProviderModule } from './types.js';

export const ftiProblemSchema = z.looseObject({
  reason: z.array(z.string()),
  since: z.string().regex(RFC3339, 'must be an RFC 3339 time'),
});
export const ftiFileSchema = z.record(z.string(), z.record(z.string(), z.record(z.string(), z.record(z.string(), ftiProblemSchema))));

export interface FtiItem {
  release: string;
  repo: string;
  problems: Record<string, { reason: string[]; since: string }>;
}

export const failsToInstall: GlobalProviderModule = {
  name: 'fails_to_install',
  plan: (env) => JSON.stringify([env.urls.fti, env.labels.rawhide]),
  async fetch(ctx, env) {
    const url = env.urls.fti!;
    const file = parseUpstream(ftiFileSchema, await ctx.get(url), url);
    const byPackage = new Map<string, FtiItem[]>();
    for (const [branch, repos] of Object.entries(file)) {
      for (const [repo, packages] of Object.entries(repos)) {
        for (const [pkg, arches] of Object.entries(packages)) {
          const problems: FtiItem['problems'] = {};
          for (const arch of Object.keys(arches).sort()) problems[arch] = { reason: arches[arch].reason, since: arches[arch].since };
          push(byPackage, pkg, { release: env.labels.branch(branch), repo, problems });
        }
      }
    }
    for (const items of byPackage.values()) items.sort((a, b) => labelOrder(a.release) - labelOrder(b.release) || a.repo.localeCompare(b.repo));
    return { meta: { packages: byPackage.size }, entries: byPackage };
  },
};
