// `pulp` composes: content-set names mapped to repository URLs in the settings. As in ODCS, only a
// .repo file is written (one section per content set); nothing is downloaded or reused.
import { hasFlag } from './flags.js';

export interface PulpRepo {
  /** Repository URL; may contain $basearch. */
  url: string;
  /** Arches the repository serves; absent means any. */
  arches?: string[];
  /** Unpublished repositories are used only with include_unpublished_pulp_repos. */
  published?: boolean;
}

export interface PulpSection {
  contentSet: string;
  url: string;
}

export interface PulpResolution {
  sections: PulpSection[];
  /** Content sets with no usable repository. */
  missing: string[];
}

export function resolvePulpContentSets(
  contentSets: string[],
  config: Record<string, PulpRepo[]>,
  flags: number,
  arches: string[],
): PulpResolution {
  const sections: PulpSection[] = [];
  const missing: string[] = [];
  for (const cs of contentSets) {
    const usable = (config[cs] ?? []).filter(
      (r) =>
        (r.published !== false || hasFlag(flags, 'include_unpublished_pulp_repos')) &&
        (!hasFlag(flags, 'use_only_compatible_arch') || !r.arches || r.arches.some((a) => arches.includes(a) || a === 'noarch')),
    );
    if (usable.length === 0) missing.push(cs);
    // One section per content set: the first usable repository (settings order is preference).
    else sections.push({ contentSet: cs, url: usable[0].url });
  }
  return { sections, missing };
}

export function missingContentSetsMessage(missing: string[]): string {
  return `Failed to find Pulp repositories for content sets: ${missing.join(' ')}. Set the ignore_absent_pulp_repos flag to skip them.`;
}

export function pulpRepoFileText(sections: PulpSection[], flags: number): string {
  return sections
    .map((s) =>
      [
        `[${s.contentSet}]`,
        `name=${s.contentSet}`,
        `baseurl=${s.url}`,
        'enabled=1',
        'gpgcheck=0',
        ...(hasFlag(flags, 'use_only_compatible_arch') ? ['skip_if_unavailable=1'] : []),
      ].join('\n'),
    )
    .join('\n\n')
    .concat('\n');
}
