// Where a `tag` compose's packages come from, behind one interface: the configured yum repositories
// (the default) or a Koji hub (`tag_source: "koji"`). Either way the generator gets local yum
// repositories, and reuse gets a revision that stands in for ODCS's koji_event.
import type { KojiFetchPlan } from '../koji/fetch.js';

export interface TagResolveOptions {
  /** ODCS's no_inheritance flag: the tag's own content only. */
  noInheritance: boolean;
  /** The compose's koji_event: the tag as it was then. Unset: as it is now. */
  event?: number | null;
  /** The compose's arches; a source may then leave other arches out (noarch always stays). */
  arches?: string[];
  /** Multilib: the compatible arches (i686 for x86_64 …) whose packages the compose may also take. */
  compatArches?: string[];
}

export interface TagResolution {
  /** Local yum repository directories the generator can read, in precedence order. */
  repos: string[];
  /** What reuse compares (equal revisions = same content); stands in for koji_event. */
  revision: string;
  /** The Koji event the content was taken at, to record as the compose's koji_event. */
  kojiEvent?: number;
  /** Set when some of `repos` are metadata only (a Koji repo's): the generator fetches their closure. */
  fetch?: KojiFetchPlan;
}

/**
 * Errors: SourceError (below) fails the compose with its message;
 * SourceUnavailableError means "try again later" (the compose waits and is retried).
 */
export interface TagSource {
  resolve(tag: string, opts: TagResolveOptions): Promise<TagResolution>;
}

/** The compose's source cannot be used: the compose fails with this message. */
export class SourceError extends Error {}

/** The source cannot be reached right now: the compose waits and resolution is retried. */
export class SourceUnavailableError extends Error {
  constructor(
    message: string,
    /** After this long since the compose was submitted, give up and fail it. */
    readonly retryForSeconds: number,
  ) {
    super(message);
  }
}
