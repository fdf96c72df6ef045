// packages_owners_json: src.fedoraproject.org/extras/pagure_owner_alias.json, {"rpms": {pkg: [user]}}.
// One row per user (their packages; "orphan" is a user like any other), and the meta row holds
// all_fedora_packages and all_fedora_packagers.
import { z } from 'zod';
import { parseUpstream } from './http.js';
import { push, uniqSorted, type GlobalProviderModule } from './types.js';

export const ownerAliasSchema = z.looseObject({ rpms: z.record(z.string(), z.array(z.string())) });

export const ownersUrl = (pagure: string) => `${pagure}/extras/pagure_owner_alias.json`;

export interface OwnersMeta {
  packages: string[];
  packagers: string[];
}

export const packagesOwnersJson: GlobalProviderModule = {
  name: 'packages_owners_json',
  plan: () => 'v1',
  async fetch(ctx, env) {
    const url = ownersUrl(env.urls.pagure);
    const { rpms } = parseUpstream(ownerAliasSchema, await ctx.get(url), url);
    const byUser = new Map<string, string[]>();
    for (const [pkg, users] of Object.entries(rpms)) for (const user of new Set(users)) push(byUser, user, pkg);
    for (const list of byUser.values()) list.sort();
    const meta: OwnersMeta = { packages: Object.keys(rpms).sort(), packagers: uniqSorted(byUser.keys()) };
    return { meta, entries: byUser };
  },
};
