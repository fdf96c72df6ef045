// A Koji hub as the tag source. Usually the tag's own Koji repository (getRepo) at the compose's
// event: its metadata for the compose's arches (and multilib's compatible arches) is made local
// (koji/repo.ts) and the generator fetches only the closure's RPMs (koji/fetch.ts). When no repository has the tag's content at that event, or the compose
// has no_inheritance, the tag's latest builds (listTaggedRPMS, following inheritance unless
// no_inheritance) are downloaded once each into ${DATA_DIR}/koji-cache/packages and assembled
// into a mirror repository per (tag, inheritance, arches, content event) that later composes of
// the same content use as is.
//
// The revision is `koji:<tag>@<event>`, where <event> is the last event at or before the compose's
// event that changed the tag or a tag it inherits from (tagLastChangeEvent): two composes see the
// same content exactly when that event is the same, so hub activity elsewhere does not defeat
// reuse (ODCS's rule: the tag and its inherited tags unchanged since the old compose's event).
// Hubs older than Koji 1.35 lack tagLastChangeEvent: the newest earlier mirror is then used when
// tagChangedSinceEvent says nothing changed since. koji_event records the event the compose read.
import path from 'node:path';
import { kojiRepoArch } from '../../core/multilib.js';
import { KojiFaultError, KojiProtocolError, KojiSession, KojiUnavailableError, type KojiBuild, type KojiRpm, type KojiTag } from '../koji/client.js';
import { assembleMirror, cacheRpm, completeMirrors, KojiDownloadError, mapLimit, readMirrorMarker, rpmFileName, rpmRelPath, rpmUrl } from '../koji/mirror.js';
import type { KojiFetchPlan } from '../koji/fetch.js';
import { fetchRepoMetadataForArches } from '../koji/repo.js';
import { SourceError, SourceUnavailableError, type TagResolution, type TagResolveOptions, type TagSource } from './tag-source.js';

export interface KojiTagSourceOptions {
  /** XML-RPC endpoint, e.g. https://koji.fedoraproject.org/kojihub */
  hubUrl: string;
  /** Where packages are served, e.g. https://kojipkgs.fedoraproject.org (file:// works too). */
  topurl: string;
  /** ${DATA_DIR}/koji-cache: packages/ (downloads), repos/ (Koji repo metadata), mirrors/ (mirrored tags). */
  cacheRoot: string;
  /** KOJI_CACHE_MAX_BYTES: bound of packages/ (0: none). */
  cacheMaxBytes?: number;
  timeoutMs: number;
  downloadTimeoutMs: number;
  retries: number;
  retryDelayMs: number;
  downloadConcurrency: number;
  /** How long a compose keeps waiting for an unreachable hub before it fails. */
  unavailableTimeoutSeconds: number;
  log?: (message: string, attrs: Record<string, unknown>) => void;
}

const ARCH_RE = /^[A-Za-z0-9_]+$/;

/** Mirror directory name without the event: every field encoded so that names cannot collide. */
export function mirrorPrefix(tag: string, inherit: boolean, arches: string[] | null): string {
  return [encodeURIComponent(tag), inherit ? 'inherit' : 'noinherit', arches ? arches.join(',') : 'all'].join('@');
}

export class KojiTagSource implements TagSource {
  readonly session: KojiSession;

  constructor(private readonly opts: KojiTagSourceOptions) {
    this.session = new KojiSession(opts.hubUrl, {
      timeoutMs: opts.timeoutMs,
      retries: opts.retries,
      retryDelayMs: opts.retryDelayMs,
      onRetry: ({ method, attempt, delayMs, error }) => opts.log?.('Koji call failed, retrying', { method, attempt, delayMs, error: error.message }),
    });
  }

  async resolve(tag: string, opts: TagResolveOptions): Promise<TagResolution> {
    try {
      return await this.resolveOrThrow(tag, opts);
    } catch (err) {
      if (err instanceof KojiUnavailableError) throw new SourceUnavailableError(err.message, this.opts.unavailableTimeoutSeconds);
      if (err instanceof KojiFaultError) throw new SourceError(`Koji hub fault in ${err.method}: ${err.faultString}`);
      if (err instanceof KojiProtocolError || err instanceof KojiDownloadError) throw new SourceError(err.message);
      throw err;
    }
  }

  private async resolveOrThrow(tag: string, opts: TagResolveOptions): Promise<TagResolution> {
    // Multilib's compatible arches are read like the compose's own (a tree takes their packages).
    const arches = opts.arches?.length ? [...new Set([...opts.arches, ...(opts.compatArches ?? [])])].sort() : null;
    const bad = arches?.filter((a) => !ARCH_RE.test(a));
    if (bad?.length) throw new SourceError(`Invalid arches: ${bad.join(' ')}.`);
    const inherit = !opts.noInheritance;

    const last = await this.session.getLastEvent();
    const requested = opts.event ?? null;
    if (requested !== null && (!Number.isSafeInteger(requested) || requested < 0)) throw new SourceError(`Invalid Koji event ${requested}.`);
    if (requested !== null && requested > last.id) {
      throw new SourceError(`Koji event ${requested} is newer than the last event ${last.id} of the Koji hub.`);
    }
    const event = requested ?? last.id;
    const tagInfo = await this.session.getTag(tag);
    if (!tagInfo) throw new SourceError(`Unknown Koji tag "${tag}".`);
    if (requested !== null && !(await this.session.getTag(tagInfo.id, { event: requested }))) {
      throw new SourceError(`Koji tag "${tag}" did not exist at event ${requested}.`);
    }
    // Parents count even with no_inheritance: Koji reads package lists (blocks) through them.
    const inheritance = await this.session.getFullInheritance(tagInfo.id, event);
    const tagIds = [tagInfo.id, ...inheritance.map((l) => l.parent_id)];
    this.opts.log?.('Koji tag resolved', { tag, tagId: tagInfo.id, event, inherit, parents: inheritance.map((l) => l.name) });

    const mirrors = path.join(this.opts.cacheRoot, 'mirrors');
    const prefix = mirrorPrefix(tag, inherit, arches);
    const ids = [...new Set(tagIds)];
    let contentEvent = await this.lastChange(ids, event);
    if (contentEvent === null) {
      // No tagLastChangeEvent: the newest mirror made at or before this event serves if the tag has not changed since.
      const earlier = (await completeMirrors(mirrors, prefix)).find((m) => m.event <= event);
      const same = earlier && (earlier.event === event || !(await this.session.tagChangedSinceEvent(earlier.event, ids)));
      contentEvent = same ? earlier.event : event;
    }
    const result = { revision: `koji:${tag}@${contentEvent}`, kojiEvent: event };
    const fromRepo = await this.fromKojiRepo(tagInfo, event, contentEvent, inherit, opts.arches ?? [], opts.compatArches ?? []);
    if (fromRepo) return { ...fromRepo, ...result };
    const dir = path.join(mirrors, `${prefix}@${contentEvent}`);
    if (await readMirrorMarker(dir)) {
      this.opts.log?.('Koji tag mirror reused', { tag, event, contentEvent, dir });
      return { repos: [dir], ...result };
    }

    const [rpms, builds] = await this.session.listTaggedRPMS(tagInfo.id, {
      event: contentEvent,
      inherit,
      latest: true,
      arch: arches ? [...arches, 'noarch'] : undefined,
    });
    const buildsById = new Map<number, KojiBuild>(builds.map((b) => [b.build_id, b]));
    const wanted: Array<{ rpm: KojiRpm; build: KojiBuild; rel: string[] }> = [];
    const names = new Set<string>();
    for (const rpm of rpms) {
      if (rpm.arch === 'src' || rpm.arch === 'nosrc' || rpm.metadata_only) continue;
      const build = buildsById.get(rpm.build_id);
      if (!build) throw new SourceError(`Koji listed RPM ${rpmFileName(rpm)} without its build ${rpm.build_id}.`);
      const fileName = rpmFileName(rpm);
      // The same NVRA from two builds: the first listed (the nearest tag) wins, as in Koji.
      if (names.has(fileName)) continue;
      names.add(fileName);
      wanted.push({ rpm, build, rel: rpmRelPath(build, rpm) });
    }

    let downloaded = 0;
    await mapLimit(wanted, this.opts.downloadConcurrency, async (w) => {
      const dest = path.join(this.opts.cacheRoot, ...w.rel);
      const outcome = await cacheRpm(rpmUrl(this.opts.topurl, w.rel), dest, w.rpm, {
        timeoutMs: this.opts.downloadTimeoutMs,
        retries: this.opts.retries,
        retryDelayMs: this.opts.retryDelayMs,
      });
      if (outcome === 'downloaded') downloaded++;
    });
    await assembleMirror(
      dir,
      wanted.map((w) => ({ cachePath: path.join(this.opts.cacheRoot, ...w.rel), fileName: w.rel[w.rel.length - 1] })),
      { tag, event: contentEvent, inherit, arches, rpms: wanted.length, created: new Date().toISOString() },
    );
    this.opts.log?.('Koji tag mirrored', { tag, event, contentEvent, rpms: wanted.length, downloaded, dir });
    return { repos: [dir], ...result };
  }

  private downloadOptions() {
    return { timeoutMs: this.opts.downloadTimeoutMs, retries: this.opts.retries, retryDelayMs: this.opts.retryDelayMs };
  }

  /**
   * The tag's own Koji repository, when one has the content at the compose's event: the newest
   * READY repo at or before `event` made after the tag's last change (`contentEvent`). Its
   * metadata is fetched for the compose's arches and, with multilib, their compatible arches
   * (Koji's directory of each: its canonical arch, i686 under i386; a compatible arch the tag does
   * not build is left out), merged into one source for several, and the generator fetches only
   * the closure's RPMs. null when there is none, it has no metadata for an arch, or the compose
   * needs what Koji repos do not give: no_inheritance (a repo always follows inheritance) or no
   * arches. Those composes mirror the tag as before.
   */
  private async fromKojiRepo(
    tagInfo: KojiTag,
    event: number,
    contentEvent: number,
    inherit: boolean,
    arches: string[],
    compatArches: string[],
  ): Promise<{ repos: string[]; fetch: KojiFetchPlan } | null> {
    const tag = tagInfo.name;
    if (!inherit || !arches.length) return null;
    const built = new Set((tagInfo.arches ?? '').split(/\s+/).filter(Boolean).map(kojiRepoArch));
    const native = new Set(arches.map(kojiRepoArch));
    const compat = [...new Set(compatArches.map(kojiRepoArch))].filter((a) => !native.has(a));
    const absent = compat.filter((a) => !built.has(a));
    if (absent.length) this.opts.log?.('Koji tag builds no compatible arch for multilib; left out', { tag, arches: absent, tagArches: tagInfo.arches });
    const dirs = [...native, ...compat.filter((a) => built.has(a))].sort();
    const repo = await this.session.getRepo(tagInfo.id, { event });
    if (!repo || repo.create_event < contentEvent) {
      this.opts.log?.('No Koji repo has the tag as of the event; mirroring it', { tag, event, contentEvent, repo: repo?.id ?? null, repoEvent: repo?.create_event ?? null });
      return null;
    }
    let dir: string;
    try {
      dir = await fetchRepoMetadataForArches(this.opts.topurl, this.opts.cacheRoot, tag, repo.id, dirs, this.downloadOptions());
    } catch (err) {
      if (!(err instanceof KojiDownloadError && err.notFound)) throw err;
      this.opts.log?.('Koji repo has no metadata for an arch; mirroring the tag', { tag, repo: repo.id, arches: dirs, error: err.message });
      return null;
    }
    this.opts.log?.('Koji repo metadata ready', { tag, repo: repo.id, repoEvent: repo.create_event, arches: dirs, dir });
    return {
      repos: [dir],
      fetch: {
        topurl: this.opts.topurl,
        cacheRoot: this.opts.cacheRoot,
        cacheMaxBytes: this.opts.cacheMaxBytes ?? 0,
        repos: [dir],
        downloadTimeoutMs: this.opts.downloadTimeoutMs,
        retries: this.opts.retries,
        retryDelayMs: this.opts.retryDelayMs,
        concurrency: this.opts.downloadConcurrency,
      },
    };
  }

  private lastChangeSupported = true;

  /**
   * The last event at or before `event` that changed any of these tags (the tag and the parents it
   * has at `event`), so the content at `event` is the content at that event. null when the hub
   * does not know tagLastChangeEvent (Koji before 1.35).
   */
  private async lastChange(tagIds: number[], event: number): Promise<number | null> {
    if (!this.lastChangeSupported) return null;
    try {
      // Per tag, without Koji's own inheritance walk: that one reads the inheritance after `event`.
      const changes = await Promise.all(tagIds.map((id) => this.session.tagLastChangeEvent(id, { before: event + 1, inherit: false })));
      const known = changes.filter((e): e is number => e !== null);
      return known.length ? Math.min(Math.max(...known), event) : event;
    } catch (err) {
      if (err instanceof KojiFaultError && /^Invalid method/i.test(err.faultString)) {
        this.opts.log?.('Koji hub has no tagLastChangeEvent; comparing mirrors with tagChangedSinceEvent', { hub: this.opts.hubUrl });
        this.lastChangeSupported = false;
        return null;
      }
      throw err;
    }
  }
}
