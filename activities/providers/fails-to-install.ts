// fails_to_install: broken dependencies as repochecker serves them (spec Part B section 1 item 9;
// repochecker is fedora-health-check's successor: github.com/ironthree/repochecker, src/server.rs
// route `/data/:release`, src/data.rs `BrokenItem`). FTI_URL is repochecker's base URL; for every
// Fedora release we label (Rawhide, branched, stable) it asks `<FTI_URL>/data/<rawhide|N|N-testing>`,
// a JSON list of {source, package, arch, repo, repo_arch, broken: [dep], since: RFC 3339 with
// nanoseconds | null, ...}. A release repochecker does not serve (404) has no data. One row per
// source package: [{release, repo: "rawhide"|"stable"|"testing", problems: {arch: {reason, since}}}],
// where the key "src" means the package's build dependencies are broken (it fails to build).
import { z } from 'zod';
import { labelOrder } from '../../core/providers/releases.js';
import { RFC3339 } from '../../core/providers/files.js';
import { parseUpstream } from './http.js';
import { push, type GlobalProviderModule, type ProviderEnv } from './types.js';

export const ftiBrokenItemSchema = z.looseObject({
  source: z.string().min(1),
  package: z.string(),
  arch: z.string(),
  repo: z.string().optional(),
  repo_arch: z.string(),
  broken: z.array(z.string()),
  since: z.string().regex(RFC3339, 'must be an RFC 3339 time').nullable().optional(),
});
export const ftiReleaseSchema = z.array(ftiBrokenItemSchema);

export interface FtiItem {
  release: string;
  repo: string;
  problems: Record<string, { reason: string[]; since: string | null }>;
}

/** repochecker's data keys for the releases we label, with the release label and the repo kind. */
export function ftiKeys(env: ProviderEnv): Array<{ key: string; release: string; repo: string }> {
  const out: Array<{ key: string; release: string; repo: string }> = [];
  for (const r of env.releases?.releases ?? []) {
    if (r.kind !== 'fedora' || r.version === null) continue;
    if (r.label === 'Fedora Rawhide') out.push({ key: 'rawhide', release: r.label, repo: 'rawhide' });
    else out.push({ key: String(r.version), release: r.label, repo: 'stable' }, { key: `${r.version}-testing`, release: r.label, repo: 'testing' });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

export const ftiUrl = (base: string, key: string) => `${base}/data/${encodeURIComponent(key)}`;

/** The earlier of two RFC 3339 times (null: unknown). Same-zone texts compare as instants via Date. */
function earlier(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(b.replace(/(\.\d{3})\d+/, '$1')) < Date.parse(a.replace(/(\.\d{3})\d+/, '$1')) ? b : a;
}

export const failsToInstall: GlobalProviderModule = {
  name: 'fails_to_install',
  plan: (env) => JSON.stringify([env.urls.fti, ftiKeys(env).map((k) => k.key), env.labels.rawhide]),
  async fetch(ctx, env) {
    const keys = ftiKeys(env);
    const lists = await ctx.map(keys, async ({ key }) => {
      const url = ftiUrl(env.urls.fti!, key);
      const body = await ctx.get(url, { allow404: true });
      return body === null ? [] : parseUpstream(ftiReleaseSchema, body, url);
    });
    const byPackage = new Map<string, FtiItem[]>();
    keys.forEach(({ release, repo }, i) => {
      const bySource = new Map<string, FtiItem['problems']>();
      for (const item of lists[i]) {
        const problems = bySource.get(item.source) ?? {};
        bySource.set(item.source, problems);
        const arch = item.arch === 'src' ? 'src' : item.repo_arch;
        const p = (problems[arch] ??= { reason: [], since: null });
        for (const dep of item.broken) {
          const reason = `${item.package}.${item.arch} requires ${dep}`;
          if (!p.reason.includes(reason)) p.reason.push(reason);
        }
        p.since = earlier(p.since, item.since ?? null);
      }
      for (const [source, problems] of bySource) {
        const sorted: FtiItem['problems'] = {};
        for (const arch of Object.keys(problems).sort()) sorted[arch] = { reason: problems[arch].reason.sort(), since: problems[arch].since };
        push(byPackage, source, { release, repo, problems: sorted });
      }
    });
    for (const items of byPackage.values()) items.sort((a, b) => labelOrder(a.release) - labelOrder(b.release) || a.repo.localeCompare(b.repo));
    return { meta: { packages: byPackage.size, releases: keys.map((k) => k.key) }, entries: byPackage };
  },
};
