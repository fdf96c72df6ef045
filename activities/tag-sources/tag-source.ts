// Where a `tag` compose's packages come from, behind one interface: the configured yum repositories
// (the default) or a Koji hub (`tag_source: "koji"`). Either way the generator gets local yum
// repositories, and reuse gets a revision that stands in for ODCS's koji_event.
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { AppConfig } from '../../core/config.js';
import { KOJI_DEFAULTS, type OdcsSettings } from '../../core/settings.js';
import { ConfiguredTagSource } from './configured.js';
import { KojiTagSource } from './koji.js';

export interface TagResolveOptions {
  /** ODCS's no_inheritance flag: the tag's own content only. */
  noInheritance: boolean;
  /** The compose's koji_event: the tag as it was then. Unset: as it is now. */
  event?: number | null;
  /** The compose's arches; a source may then leave other arches out (noarch always stays). */
  arches?: string[];
}

export interface TagResolution {
  /** Local yum repository directories the generator can read, in precedence order. */
  repos: string[];
  /** What reuse compares (equal revisions = same content); stands in for koji_event. */
  revision: string;
  /** The Koji event the content was taken at, to record as the compose's koji_event. */
  kojiEvent?: number;
}

/**
 * Errors: SourceError (from ../sources.js) fails the compose with its message;
 * SourceUnavailableError means "try again later" (the compose waits and is retried).
 */
export interface TagSource {
  resolve(tag: string, opts: TagResolveOptions): Promise<TagResolution>;
}

function activityLog(message: string, attrs: Record<string, unknown>): void {
  try {
    Context.current().log.info(message, attrs);
  } catch {
    // Not inside an activity (tests, tools): nothing to log to.
  }
}

export function createTagSource(settings: OdcsSettings, config: Pick<AppConfig, 'dataDir'>): TagSource {
  if (settings.tag_source === 'koji') {
    // The settings schema makes both URLs required with tag_source "koji".
    const d = KOJI_DEFAULTS;
    return new KojiTagSource({
      hubUrl: settings.koji_hub_url!,
      topurl: settings.koji_topurl!,
      cacheRoot: path.join(config.dataDir, 'koji-cache'),
      timeoutMs: (settings.koji_timeout ?? d.koji_timeout) * 1000,
      downloadTimeoutMs: (settings.koji_download_timeout ?? d.koji_download_timeout) * 1000,
      retries: settings.koji_retries ?? d.koji_retries,
      retryDelayMs: (settings.koji_retry_delay ?? d.koji_retry_delay) * 1000,
      downloadConcurrency: settings.koji_download_concurrency ?? d.koji_download_concurrency,
      unavailableTimeoutSeconds: settings.koji_unavailable_timeout ?? d.koji_unavailable_timeout,
      log: activityLog,
    });
  }
  return new ConfiguredTagSource(settings);
}

const bySettings = new WeakMap<OdcsSettings, TagSource>();

/** One tag source per settings object (a worker's), so its sessions and caches are shared. */
export function tagSourceFor(settings: OdcsSettings, config: Pick<AppConfig, 'dataDir'>): TagSource {
  let source = bySettings.get(settings);
  if (!source) bySettings.set(settings, (source = createTagSource(settings, config)));
  return source;
}
