// The upstream HTTP client of every provider: JSON GETs (and Koji's XML-RPC POSTs) with a timeout, retries with exponential
// backoff on network errors, timeouts, 429 and 5xx, conditional requests, and a clear error for
// malformed answers. Requests go through node:http(s) with kept-alive sockets (redirects followed,
// gzip/deflate/br answers decompressed): for thousands of small answers a few times the requests
// per second of fetch(). Bodies are kept as text and read as JSON (or handed over as text, for ICS)
// only when a provider asks for them. Paging lives in the providers (each upstream pages its own way); the
// two-phase conditional run (probe every URL of the last fetch, refetch only when one changed)
// lives here, so every provider gets it.
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import type { z } from 'zod';
import type { Validator, Validators } from '../../store/cache.js';

export interface UpstreamSettings {
  /** Per request, headers and body included. */
  timeoutMs: number;
  /** Attempts per request (1 = no retry). */
  attempts: number;
  /** First backoff; doubles each retry (with jitter), capped at 30 s. */
  backoffMs: number;
  /** Requests in flight at once within one refresh. */
  concurrency: number;
  /** A 404 is remembered this long instead of asked again (0 or unset: asked every time). */
  notFoundTtlMs?: number;
  /** How long after a full fetch "changed since" filters may stand for asking per package. */
  fullResyncMs?: number;
  /** Extra headers per URL (the Bugzilla API key goes to Bugzilla only). */
  headersFor?: (url: string) => Record<string, string>;
}

/** The upstream failed (after retries): network, timeout, or an HTTP error status. Worth retrying later. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The upstream answered something we cannot read. Retrying the same request will not help. */
export class MalformedUpstreamError extends Error {
  override name = 'MalformedUpstreamError';
  constructor(
    message: string,
    readonly url: string,
  ) {
    super(message);
  }
}

/** Errors a refresh records on the row (upstream trouble); anything else is our own failure. */
export const isUpstreamFailure = (err: unknown): err is UpstreamError | MalformedUpstreamError =>
  err instanceof UpstreamError || err instanceof MalformedUpstreamError;

export type Outcome =
  | { status: 200; text: string; validator: Validator }
  | { status: 304 }
  | { status: 404; validator: Validator };

export interface RequestStats {
  requests: number;
  ok: number;
  notModified: number;
  notFound: number;
  retries: number;
}

/** One HTTP exchange: status, headers, and the whole (decompressed) body as text. */
export interface TransportResponse {
  status: number;
  header(name: string): string | null;
  text: string;
}
export type Transport = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal }) => Promise<TransportResponse>;

const agents: Record<string, http.Agent> = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

function decoded(res: http.IncomingMessage): NodeJS.ReadableStream {
  const encoding = res.headers['content-encoding'];
  if (encoding === 'gzip' || encoding === 'x-gzip') return res.pipe(zlib.createGunzip());
  if (encoding === 'deflate') return res.pipe(zlib.createInflate());
  if (encoding === 'br') return res.pipe(zlib.createBrotliDecompress());
  return res;
}

/** node:http(s) with kept-alive sockets; follows up to MAX_REDIRECTS redirects (303: as a GET). */
export const nodeTransport: Transport = (url, init) => {
  const send = (target: URL, method: string, body: string | undefined, hops: number): Promise<TransportResponse> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'Accept-Encoding': 'gzip, deflate, br', ...init.headers };
      if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
      const mod = target.protocol === 'https:' ? https : http;
      const req = mod.request(target, { method, headers, agent: agents[target.protocol], signal: init.signal }, (res) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (REDIRECTS.has(status) && location && hops < MAX_REDIRECTS) {
          res.resume();
          const get = status === 303 || ((status === 301 || status === 302) && method === 'POST');
          resolve(send(new URL(location, target), get ? 'GET' : method, get ? undefined : body, hops + 1));
          return;
        }
        const chunks: Buffer[] = [];
        const stream = decoded(res);
        res.on('error', reject);
        stream.on('error', reject);
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () =>
          resolve({
            status,
            header: (name) => {
              const v = res.headers[name.toLowerCase()];
              return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
            },
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  return send(new URL(url), init.method, init.body, 0);
};

/** A fetch()-compatible function as the transport (tests watch the requests through it). */
export function fetchTransport(f: typeof fetch): Transport {
  return async (url, init) => {
    const res = await f(url, { ...init, redirect: 'follow' });
    const text = res.status === 304 ? '' : await res.text();
    return { status: res.status, header: (name) => res.headers.get(name), text };
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const RETRY_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
const USER_AGENT = 'odcs-flow-oraculum/0.1 (+https://pagure.io/fedora-qa/oraculum)';

/** Runs fn over items with at most n in flight, keeping order. Rejects on the first error. */
export async function mapLimit<T, R>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  return out;
}

export interface RequestOptions {
  conditional?: Validator;
  allow404?: boolean;
  /** POST this XML-RPC body instead of a GET. */
  body?: string;
}

const verb = (opts: RequestOptions) => (opts.body === undefined ? 'GET' : 'POST');

export class UpstreamClient {
  readonly stats: RequestStats = { requests: 0, ok: 0, notModified: 0, notFound: 0, retries: 0 };

  constructor(
    readonly settings: UpstreamSettings,
    private readonly onProgress: () => void = () => {},
    private readonly transport: Transport = nodeTransport,
  ) {}

  /**
   * One GET with retries (a POST of `body` when given: XML-RPC, never conditional). `conditional`
   * sends If-None-Match/If-Modified-Since; 404 is an outcome only with allow404.
   */
  async request(url: string, opts: RequestOptions = {}): Promise<Outcome> {
    const { attempts, backoffMs } = this.settings;
    let lastError: UpstreamError | null = null;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        this.stats.retries++;
        const base = Math.min(30_000, backoffMs * 2 ** (attempt - 2));
        const retryAfter = lastError?.status === 429 || lastError?.status === 503 ? this.retryAfterMs : 0;
        await sleep(Math.max(retryAfter, base * (0.8 + Math.random() * 0.4)));
        this.retryAfterMs = 0;
      }
      try {
        return await this.once(url, opts);
      } catch (err) {
        if (err instanceof MalformedUpstreamError) throw err;
        if (err instanceof UpstreamError && err.status !== undefined && !RETRY_STATUS.has(err.status)) throw err;
        lastError = err instanceof UpstreamError ? err : new UpstreamError(`${verb(opts)} ${url}: ${(err as Error).message}`, url);
      } finally {
        this.onProgress();
      }
    }
    throw new UpstreamError(`${lastError!.message} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`, url, lastError!.status);
  }

  private retryAfterMs = 0;
  private inFlight = 0;
  private readonly queue: Array<() => void> = [];

  /** At most `concurrency` requests of this client in flight, however many packages ask at once. */
  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    // A finished request hands its slot to the next waiter directly, so the count never overshoots.
    if (this.inFlight >= Math.max(1, this.settings.concurrency)) await new Promise<void>((r) => this.queue.push(r));
    else this.inFlight++;
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.inFlight--;
    }
  }

  private once(url: string, opts: RequestOptions): Promise<Outcome> {
    return this.slot(() => this.send(url, opts));
  }

  private async send(url: string, opts: RequestOptions): Promise<Outcome> {
    const method = verb(opts);
    const headers: Record<string, string> = {
      Accept: opts.body === undefined ? 'application/json' : 'text/xml',
      'User-Agent': USER_AGENT,
      ...(opts.body === undefined ? {} : { 'Content-Type': 'text/xml' }),
      ...this.settings.headersFor?.(url),
    };
    if (opts.conditional?.etag) headers['If-None-Match'] = opts.conditional.etag;
    if (opts.conditional?.last_modified) headers['If-Modified-Since'] = opts.conditional.last_modified;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.settings.timeoutMs);
    this.stats.requests++;
    let res: TransportResponse;
    try {
      res = await this.transport(url, { method, body: opts.body, headers, signal: controller.signal });
    } catch (err) {
      const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
      const why = controller.signal.aborted ? `no complete answer within ${this.settings.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.code ?? e.message);
      throw new UpstreamError(`${method} ${url}: ${why}`, url);
    } finally {
      clearTimeout(timer);
    }
    const validator = (status: number): Validator => {
      const v: Validator = { status };
      const etag = res.header('etag');
      const lm = res.header('last-modified');
      if (etag) v.etag = etag;
      if (lm) v.last_modified = lm;
      return v;
    };
    const text = res.status === 304 ? '' : res.text;
    if (res.status === 304) {
      this.stats.notModified++;
      return { status: 304 };
    }
    if (res.status === 404 && opts.allow404) {
      this.stats.notFound++;
      return { status: 404, validator: { ...validator(404), at: Date.now() } };
    }
    if (res.status !== 200) {
      const ra = Number(res.header('retry-after'));
      if (Number.isFinite(ra) && ra > 0) this.retryAfterMs = Math.min(60, ra) * 1000;
      throw new UpstreamError(`${method} ${url}: HTTP ${res.status}${text ? `: ${text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}`, url, res.status);
    }
    this.stats.ok++;
    return { status: 200, text, validator: validator(200) };
  }
}

/** An answer's text as JSON; MalformedUpstreamError when it is not. */
export function parseJson(text: string, url: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new MalformedUpstreamError(`GET ${url}: the answer is not JSON (${(err as Error).message}): ${JSON.stringify(text.slice(0, 80))}`, url);
  }
}

/** Validates an upstream answer against the zod schema of what the provider reads. */
export function parseUpstream<S extends z.ZodType>(schema: S, body: unknown, url: string, at = ''): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 3)
    .map((i) => `${at}${i.path.length ? (at ? '.' : '') + i.path.join('.') : at ? '' : '(root)'}: ${i.message}`)
    .join('; ');
  throw new MalformedUpstreamError(`GET ${url}: unexpected data: ${issues}`, url);
}

/** What a provider sees while fetching: JSON GETs that remember validators, and a concurrency limit. */
export interface FetchContext {
  /** The JSON body; null when the URL answered 404 and allow404 is set. */
  get(url: string, opts?: { allow404?: boolean }): Promise<unknown | null>;
  /** The body as text (ICS files); null when the URL answered 404 and allow404 is set. */
  getText(url: string, opts?: { allow404?: boolean }): Promise<string | null>;
  /**
   * An XML-RPC POST (Koji), with retries; the answer's text. Not conditional: a fetch that posts
   * is asked again in full next time (nothing to probe).
   */
  post(url: string, body: string): Promise<string>;
  /** Maps with the upstream concurrency limit. */
  map<T, R>(items: readonly T[], fn: (item: T, i: number) => Promise<R>): Promise<R[]>;
  readonly today: Date;
}

export type ConditionalResult<T> = { unchanged: true } | { unchanged: false; value: T; validators: Validators };

/**
 * Runs a provider's fetch with conditional requests. When the last full fetch recorded a
 * validator for every URL it read and its plan is the same, every URL is first asked again
 * conditionally; all "304 Not Modified" (or the same 404) means nothing changed and nothing is
 * parsed. Otherwise the provider fetches normally, reusing the bodies the probe already got.
 */
export async function runConditional<T>(
  client: UpstreamClient,
  previous: Validators | null | undefined,
  plan: string,
  produce: (ctx: FetchContext) => Promise<T>,
  today = new Date(),
): Promise<ConditionalResult<T>> {
  const memo = new Map<string, Outcome>();
  const map = <I, R>(items: readonly I[], fn: (item: I, i: number) => Promise<R>) => mapLimit(items, client.settings.concurrency, fn);
  const old = previous?.urls ?? {};
  const oldUrls = Object.keys(old);
  // A 404 younger than UPSTREAM_NOT_FOUND_TTL stands: it is neither probed nor asked again.
  const ttl = client.settings.notFoundTtlMs ?? 0;
  const now = Date.now();
  const rememberedNotFound = (url: string) => old[url]?.status === 404 && ttl > 0 && old[url].at !== undefined && now - old[url].at! < ttl;
  const probeable =
    previous?.plan === plan && oldUrls.length > 0 && oldUrls.every((u) => old[u].status === 404 || old[u].etag || old[u].last_modified);
  if (probeable) {
    let changed = false;
    await map(oldUrls.filter((u) => !rememberedNotFound(u)), async (url) => {
      if (changed) return;
      const v = old[url];
      const out = await client.request(url, { conditional: v.status === 200 ? v : undefined, allow404: true });
      if (out.status === 304 || (out.status === 404 && v.status === 404)) return;
      memo.set(url, out);
      changed = true;
    });
    if (!changed) return { unchanged: true };
  }
  const urls: Record<string, Validator> = {};
  const getText = async (url: string, opts: { allow404?: boolean } = {}): Promise<string | null> => {
    let out = memo.get(url);
    memo.delete(url);
    if (!out && opts.allow404 && rememberedNotFound(url)) {
      urls[url] = old[url];
      return null;
    }
    if (!out || out.status === 304) out = await client.request(url, { allow404: opts.allow404 });
    if (out.status === 404) {
      if (!opts.allow404) throw new UpstreamError(`GET ${url}: HTTP 404`, url, 404);
      urls[url] = out.validator;
      return null;
    }
    if (out.status !== 200) throw new UpstreamError(`GET ${url}: unexpected HTTP ${out.status}`, url, out.status);
    urls[url] = out.validator;
    return out.text;
  };
  const ctx: FetchContext = {
    today,
    map,
    getText,
    async post(url, body) {
      const out = await client.request(url, { body });
      if (out.status !== 200) throw new UpstreamError(`POST ${url}: unexpected HTTP ${out.status}`, url, out.status);
      // No validator: the next refresh of this key cannot be a probe.
      urls[url] = { status: 200 };
      return out.text;
    },
    async get(url, opts = {}) {
      const text = await getText(url, opts);
      return text === null ? null : parseJson(text, url);
    },
  };
  const value = await produce(ctx);
  return { unchanged: false, value, validators: { plan, urls } };
}
