// Tags as named sets of yum repositories in the settings (`tags`, with `parents`): today's source
// and the default. The revision is the repositories' repomd revisions, as before.
import { resolveTagRepos, type OdcsSettings } from '../../core/settings.js';
import { readRepoRevision } from '../generate/index.js';
import { localPath } from '../repo-paths.js';
import { SourceError, type TagResolution, type TagResolveOptions, type TagSource } from './tag-source.js';

export class ConfiguredTagSource implements TagSource {
  constructor(private readonly settings: OdcsSettings) {}

  async resolve(tag: string, opts: TagResolveOptions): Promise<TagResolution> {
    const configured = resolveTagRepos(this.settings, tag, opts.noInheritance);
    if (!configured) throw new SourceError(`Unknown tag "${tag}": it is not configured on this server.`);
    const repos = configured.map(localPath);
    // `<repo>@<revision>` per repository, space-joined (sources.ts joins tags and hashes long ones).
    const revisions = await Promise.all(repos.map(async (r) => `${r}@${await readRepoRevision(r)}`));
    return { repos, revision: revisions.join(' ') };
  }
}
