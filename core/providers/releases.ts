// Fedora and EPEL releases: the /api/v1/releases body computed from Bodhi's releases, and the
// release labels every other provider uses ("Fedora 41", "Fedora Rawhide", "Fedora ELN", "EPEL 9",
// and the catch-alls "Fedora" and "EPEL"). Pure.

/** What Bodhi says about one release (only the fields we read). */
export interface BodhiReleaseLike {
  name: string;
  long_name?: string;
  version: string;
  id_prefix: string;
  branch: string;
  state: string;
  /** Koji tag of the release's stable builds (f41-updates, which inherits f41; f43 for Rawhide; epel9; eln). */
  stable_tag?: string | null;
}

/** GET /api/v1/releases, exactly (spec Part B section 3; testcloud depends on it). */
export interface ReleasesBody {
  fedora: { stable: number; branched: number | null; rawhide: number; values: number[]; branched_frozen: boolean };
  epel: number[];
}

export interface ReleaseInfo {
  /** Bodhi's name: F41, EPEL-9, ELN. */
  name: string;
  kind: 'fedora' | 'eln' | 'epel';
  /** Fedora version, EPEL major version, null for ELN. */
  version: number | null;
  /** Bodhi's version string (EPEL 10 has minor versions: "10.1"). */
  bodhi_version: string;
  branch: string;
  state: string;
  label: string;
  /** Bodhi's stable_tag, the Koji tag asked for the release's latest stable builds (absent: mdapi). */
  stable_tag?: string;
}

/** The cached data of fedora_releases. */
export interface ReleasesData {
  api: ReleasesBody;
  releases: ReleaseInfo[];
}

export class ReleasesError extends Error {}

const FEDORA_NAME = /^F(\d+)$/;
const EPEL_NAME = /^EPEL-(\d+)(?:\.\d+)?$/;

/** Classifies a Bodhi release; null for the ones the dashboard ignores (containers, flatpaks, EPEL Next). */
function classify(r: BodhiReleaseLike): { kind: ReleaseInfo['kind']; version: number | null } | null {
  if (r.name === 'ELN' || r.version.toLowerCase() === 'eln') return { kind: 'eln', version: null };
  const f = FEDORA_NAME.exec(r.name);
  if (f && r.id_prefix === 'FEDORA') return { kind: 'fedora', version: Number(f[1]) };
  const e = EPEL_NAME.exec(r.name);
  if (e && r.id_prefix === 'FEDORA-EPEL') return { kind: 'epel', version: Number(e[1]) };
  return null;
}

/** The releases data from Bodhi's non-archived releases. Throws ReleasesError when no Fedora release is there. */
export function computeReleases(all: BodhiReleaseLike[]): ReleasesData {
  const known = all
    .filter((r) => r.state !== 'archived')
    .map((r) => ({ r, c: classify(r) }))
    .filter((x): x is { r: BodhiReleaseLike; c: NonNullable<ReturnType<typeof classify>> } => x.c !== null);
  const fedora = known.filter((x) => x.c.kind === 'fedora');
  if (fedora.length === 0) throw new ReleasesError('Bodhi lists no active Fedora release (F<N>)');
  const versions = [...new Set(fedora.map((x) => x.c.version as number))].sort((a, b) => a - b);
  const rawhideRelease = fedora.find((x) => x.r.branch === 'rawhide');
  const rawhide = rawhideRelease ? (rawhideRelease.c.version as number) : versions[versions.length - 1];
  const current = fedora.filter((x) => x.r.state === 'current' && (x.c.version as number) < rawhide).map((x) => x.c.version as number);
  const below = versions.filter((v) => v < rawhide);
  const stable = current.length ? Math.max(...current) : below.length ? below[below.length - 1] : rawhide;
  const between = fedora.filter((x) => (x.c.version as number) > stable && (x.c.version as number) < rawhide);
  const branchedEntry = between.sort((a, b) => (b.c.version as number) - (a.c.version as number))[0];
  const branched = branchedEntry ? (branchedEntry.c.version as number) : null;
  const epel = [...new Set(known.filter((x) => x.c.kind === 'epel').map((x) => x.c.version as number))].sort((a, b) => a - b);
  const api: ReleasesBody = {
    fedora: {
      stable,
      branched,
      rawhide,
      values: versions.filter((v) => v <= rawhide),
      branched_frozen: branchedEntry ? branchedEntry.r.state === 'frozen' : false,
    },
    epel,
  };
  const releases: ReleaseInfo[] = known
    .map(({ r, c }) => ({
      name: r.name,
      kind: c.kind,
      version: c.version,
      bodhi_version: r.version,
      branch: r.branch,
      state: r.state,
      ...(r.stable_tag ? { stable_tag: r.stable_tag } : {}),
      label: c.kind === 'eln' ? 'Fedora ELN' : c.kind === 'epel' ? `EPEL ${c.version}` : c.version === rawhide ? 'Fedora Rawhide' : `Fedora ${c.version}`,
    }))
    .sort((a, b) => labelOrder(a.label) - labelOrder(b.label) || a.name.localeCompare(b.name));
  return { api, releases };
}

/** Sort key of labels: Fedora by version, Rawhide, ELN, then EPEL by version, catch-alls last. */
export function labelOrder(label: string): number {
  if (label === 'Fedora Rawhide') return 1000;
  if (label === 'Fedora ELN') return 1001;
  const f = /^Fedora (\d+)$/.exec(label);
  if (f) return Number(f[1]);
  const e = /^EPEL (\d+)$/.exec(label);
  if (e) return 2000 + Number(e[1]);
  return 9000;
}

/** Release labels for every upstream's way of naming a release. */
export class ReleaseLabels {
  readonly rawhide: number | null;
  constructor(data: ReleasesData | null | undefined) {
    this.rawhide = data?.api.fedora.rawhide ?? null;
  }

  /** Fedora by version: "rawhide" and the rawhide number give "Fedora Rawhide"; nothing gives "Fedora". */
  fedora(version: string | number | null | undefined): string {
    const v = String(version ?? '').trim().toLowerCase();
    if (v === 'rawhide' || v === 'main') return 'Fedora Rawhide';
    if (v === 'eln') return 'Fedora ELN';
    if (/^\d+$/.test(v)) return this.rawhide !== null && Number(v) === this.rawhide ? 'Fedora Rawhide' : `Fedora ${Number(v)}`;
    return 'Fedora';
  }

  /** EPEL by version ("9", "9.4", "epel9", "10.1"); nothing gives "EPEL". */
  epel(version: string | number | null | undefined): string {
    const m = /^(?:epel)?(\d+)/i.exec(String(version ?? '').trim());
    return m ? `EPEL ${Number(m[1])}` : 'EPEL';
  }

  /** A dist-git branch or Koschei collection: rawhide, main, f41, epel9, epel10.1, epel9-next, eln. */
  branch(branch: string | null | undefined): string {
    const b = String(branch ?? '').trim().toLowerCase();
    if (b === 'rawhide' || b === 'main' || b === 'master') return 'Fedora Rawhide';
    if (b === 'eln') return 'Fedora ELN';
    const f = /^f(?:c)?(\d+)$/.exec(b);
    if (f) return this.fedora(f[1]);
    if (/^epel\d+/.test(b)) return this.epel(b);
    if (/^el\d+/.test(b)) return this.epel(b.slice(2));
    return 'Fedora';
  }

  /** Bugzilla product and version ("Fedora"/"rawhide", "Fedora EPEL"/"9", no version). */
  bugzilla(product: string, version: string | null | undefined): string {
    const v = version && !/^unspecified$/i.test(version) ? version : null;
    if (/epel/i.test(product)) return this.epel(v);
    return this.fedora(v);
  }

  /** A Bodhi release object. */
  bodhi(r: { name: string; version: string; id_prefix: string; branch?: string }): string {
    if (r.name === 'ELN') return 'Fedora ELN';
    if (r.id_prefix.startsWith('FEDORA-EPEL') || r.name.startsWith('EPEL')) return this.epel(r.version);
    if (r.branch === 'rawhide') return 'Fedora Rawhide';
    return this.fedora(r.version);
  }

  /** The release of a build from its dist tag: foo-1-1.fc41 -> Fedora 41, .el9 -> EPEL 9, .eln123 -> ELN. */
  nvr(nvr: string): string {
    const release = nvr.slice(nvr.lastIndexOf('-') + 1);
    if (/\.eln\d*/.test(release)) return 'Fedora ELN';
    const fc = /\.fc(\d+)/.exec(release);
    if (fc) return this.fedora(fc[1]);
    const el = /\.el(\d+)/.exec(release);
    if (el) return this.epel(el[1]);
    return 'Fedora';
  }
}

/** The package name of an NVR: everything before the last two dashes. */
export function nvrName(nvr: string): string {
  const m = /^(.+)-[^-]+-[^-]+$/.exec(nvr);
  return m ? m[1] : nvr;
}
