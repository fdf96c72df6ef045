// Builds the tag source the settings ask for (tag-source.ts has the interface): the configured
// repositories, or a Koji hub. One per settings object, so sessions and caches are shared.
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { AppConfig } from '../../core/config.js';
import { KOJI_DEFAULTS, type OdcsSettings } from '../../core/settings.js';
import { ConfiguredTagSource } from './configured.js';
import { KojiTagSource } from './koji.js';
import type { TagSource } from './tag-source.js';

function activityLog(message: string, attrs: Record<string, unknown>): void {
  try {
    Context.current().log.info(message, attrs);
  } catch {
    // Not inside an activity (tests, tools): nothing to log to.
  }
}

export function createTagSource(settings: OdcsSettings, config: Pick<AppConfig, 'dataDir'> & Partial<Pick<AppConfig, 'kojiCacheMaxBytes'>>): TagSource {
  if (settings.tag_source === 'koji') {
    // The settings schema makes both URLs required with tag_source "koji".
    const d = KOJI_DEFAULTS;
    return new KojiTagSource({
      hubUrl: settings.koji_hub_url!,
      topurl: settings.koji_topurl!,
      cacheRoot: path.join(config.dataDir, 'koji-cache'),
      cacheMaxBytes: config.kojiCacheMaxBytes ?? 0,
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
export function tagSourceFor(settings: OdcsSettings, config: Pick<AppConfig, 'dataDir'> & Partial<Pick<AppConfig, 'kojiCacheMaxBytes'>>): TagSource {
  let source = bySettings.get(settings);
  if (!source) bySettings.set(settings, (source = createTagSource(settings, config)));
  return source;
}
