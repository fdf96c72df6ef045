// The few Koji hub calls a tag compose needs, typed and checked, over our XML-RPC client. Names,
// arguments and answers are Koji's own (kojihub.py): getTag, getLastEvent, getFullInheritance,
// listTaggedRPMS, tagChangedSinceEvent, getRepo. Keyword arguments go as Koji's `__starstar` struct.
import { z } from 'zod';
import { kwargs, XmlRpcClient, XmlRpcFault, XmlRpcProtocolError, XmlRpcTransportError, type XmlRpcValue } from './xmlrpc.js';

/** koji.ServerOffline: the hub is up but says "come back later"; koji's own client retries it. */
export const KOJI_SERVER_OFFLINE = 1014;

/** The hub answered with a fault: the request itself is wrong (unknown tag id, bad argument...). */
export class KojiFaultError extends Error {
  constructor(
    readonly method: string,
    readonly faultCode: number,
    readonly faultString: string,
  ) {
    super(faultString);
    this.name = 'KojiFaultError';
  }
}

/** The hub could not be reached or did not answer (after the client's own retries). */
export class KojiUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KojiUnavailableError';
  }
}

/** The hub answered, but not in a shape we understand. */
export class KojiProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KojiProtocolError';
  }
}

const int = z.number().int();
const nullableString = z.string().nullable().optional();

export const kojiTagSchema = z.looseObject({ id: int, name: z.string(), arches: nullableString, locked: z.boolean().optional() });
export type KojiTag = z.infer<typeof kojiTagSchema>;

export const kojiEventSchema = z.looseObject({ id: int, ts: z.number() });
export type KojiEvent = z.infer<typeof kojiEventSchema>;

export const kojiInheritanceLinkSchema = z.looseObject({
  parent_id: int,
  child_id: int.optional(),
  name: z.string(),
  priority: int.optional(),
  currdepth: int.optional(),
  intransitive: z.boolean().optional(),
});
export type KojiInheritanceLink = z.infer<typeof kojiInheritanceLinkSchema>;

export const kojiRpmSchema = z.looseObject({
  id: int,
  name: z.string(),
  version: z.string(),
  release: z.string(),
  epoch: int.nullable().optional(),
  arch: z.string(),
  build_id: int,
  size: z.number().int().nonnegative().nullable().optional(),
  payloadhash: nullableString,
  metadata_only: z.boolean().optional(),
});
export type KojiRpm = z.infer<typeof kojiRpmSchema>;

export const kojiBuildSchema = z.looseObject({
  build_id: int,
  package_name: z.string(),
  version: z.string(),
  release: z.string(),
  nvr: z.string(),
  tag_name: z.string().optional(),
  volume_name: nullableString,
});
export type KojiBuild = z.infer<typeof kojiBuildSchema>;

/** A tag's repository as Koji made it (repo_info): its files are under <topurl>/repos/<tag>/<id>/<arch>/. */
export const kojiRepoSchema = z.looseObject({ id: int, create_event: int, state: int.optional(), dist: z.boolean().optional() });
export type KojiRepo = z.infer<typeof kojiRepoSchema>;
/** koji.REPO_STATES['READY'] */
export const KOJI_REPO_READY = 1;

const taggedRpmsSchema = z.tuple([z.array(kojiRpmSchema), z.array(kojiBuildSchema)]);

export interface KojiSessionOptions {
  timeoutMs?: number;
  retries?: number;
  retryDelayMs?: number;
  onRetry?: (info: { method: string; attempt: number; delayMs: number; error: Error }) => void;
}

export class KojiSession {
  private readonly rpc: XmlRpcClient;

  constructor(
    readonly hubUrl: string,
    opts: KojiSessionOptions = {},
  ) {
    this.rpc = new XmlRpcClient(hubUrl, { ...opts, retryableFaults: [KOJI_SERVER_OFFLINE] });
  }

  private async call<T>(schema: z.ZodType<T>, method: string, ...args: XmlRpcValue[]): Promise<T> {
    let raw: XmlRpcValue;
    try {
      raw = await this.rpc.call(method, ...args);
    } catch (err) {
      if (err instanceof XmlRpcFault) {
        if (err.faultCode === KOJI_SERVER_OFFLINE) throw new KojiUnavailableError(`Koji hub ${this.hubUrl} is offline (${method}): ${err.faultString}`);
        throw new KojiFaultError(method, err.faultCode, err.faultString);
      }
      if (err instanceof XmlRpcTransportError) throw new KojiUnavailableError(`Koji hub ${this.hubUrl} is unavailable: ${err.message}`);
      if (err instanceof XmlRpcProtocolError) throw new KojiProtocolError(`Koji hub ${this.hubUrl} answered badly: ${err.message}`);
      throw err;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      throw new KojiProtocolError(`Koji hub ${this.hubUrl} answered ${method} in an unexpected shape: ${z.prettifyError(parsed.error)}`);
    }
    return parsed.data;
  }

  /** The tag, or null when there is none (Koji's strict=False). */
  getTag(tag: string | number, opts: { event?: number | null } = {}): Promise<KojiTag | null> {
    return this.call(kojiTagSchema.nullable(), 'getTag', tag, kwargs({ strict: false, event: opts.event ?? undefined }));
  }

  getLastEvent(): Promise<KojiEvent> {
    return this.call(kojiEventSchema, 'getLastEvent');
  }

  /** The tag's ancestors in inheritance order (Koji's readFullInheritance). */
  getFullInheritance(tag: string | number, event?: number | null): Promise<KojiInheritanceLink[]> {
    return this.call(z.array(kojiInheritanceLinkSchema), 'getFullInheritance', tag, kwargs({ event: event ?? undefined }));
  }

  /** [rpms, builds]: the RPMs of the builds tagged at `event`. */
  listTaggedRPMS(
    tag: string | number,
    opts: { event?: number | null; inherit?: boolean; latest?: boolean; arch?: string | string[] } = {},
  ): Promise<[KojiRpm[], KojiBuild[]]> {
    return this.call(
      taggedRpmsSchema,
      'listTaggedRPMS',
      tag,
      kwargs({ event: opts.event ?? undefined, inherit: opts.inherit ?? false, latest: opts.latest ?? false, arch: opts.arch }),
    ) as Promise<[KojiRpm[], KojiBuild[]]>;
  }

  /** The tag's newest READY repository created at or before `event` (Koji's getRepo), or null. */
  getRepo(tag: string | number, opts: { event?: number | null } = {}): Promise<KojiRepo | null> {
    return this.call(kojiRepoSchema.nullable(), 'getRepo', tag, kwargs({ state: KOJI_REPO_READY, event: opts.event ?? undefined }));
  }

  /**
   * The last event that changed the tag (listing, inheritance, config...) strictly before `before`;
   * with `inherit`, its parents' changes count too. Koji 1.35 and later.
   */
  tagLastChangeEvent(tag: string | number, opts: { before?: number | null; inherit?: boolean } = {}): Promise<number | null> {
    return this.call(int.nullable(), 'tagLastChangeEvent', tag, kwargs({ before: opts.before ?? undefined, inherit: opts.inherit ?? true }));
  }

  /** Whether anything that affects these tags (listing, inheritance, config...) changed after `event`. */
  tagChangedSinceEvent(event: number, tagIds: number[]): Promise<boolean> {
    return this.call(z.boolean(), 'tagChangedSinceEvent', event, tagIds);
  }
}
