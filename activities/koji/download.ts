// One file from Koji's topurl (http(s) or a locally mounted file:// volume) into a local path:
// streamed into a temp file next to it while hashing (sha256), checked, then renamed into place,
// so a killed or broken transfer never shows under the final name. Transient trouble (network,
// 5xx, a file that does not verify) is retried with backoff; a 4xx is final.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { KojiUnavailableError } from './client.js';

/** A download that cannot succeed by retrying (HTTP 404, a file that is not what Koji says). */
export class KojiDownloadError extends Error {
  constructor(
    message: string,
    /** A file that does not verify may be a broken transfer: worth another download. */
    readonly retryable = false,
    /** The topurl has no such file (HTTP 404, or no file under a file:// topurl). */
    readonly notFound = false,
  ) {
    super(message);
    this.name = 'KojiDownloadError';
  }
}

export interface DownloadOptions {
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  signal?: AbortSignal;
  /** Called with each chunk's length as bytes arrive (progress for heartbeats). */
  onBytes?: (n: number) => void;
}

export interface Downloaded {
  size: number;
  sha256: string;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

/** The temp name a download into `dest` is written under (same directory, so rename is atomic). */
export const partName = (dest: string) => `${dest}.part-${randomBytes(4).toString('hex')}`;
export const isPartName = (name: string) => /\.part-[0-9a-f]{8}$/.test(name);

function body(url: string, res: Response | null): Readable {
  if (url.startsWith('file:')) return createReadStream(fileURLToPath(url));
  return Readable.fromWeb(res!.body as import('node:stream/web').ReadableStream);
}

/** One try: `url` into `tmp`, hashed on the way. Transient failures are KojiUnavailableError. */
async function downloadOnce(url: string, tmp: string, opts: DownloadOptions): Promise<Downloaded> {
  let res: Response | null = null;
  const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs);
  if (!url.startsWith('file:')) {
    try {
      res = await fetch(url, { signal });
    } catch (err) {
      opts.signal?.throwIfAborted();
      const e = err as { name?: string; message?: string; cause?: { code?: string } };
      throw new KojiUnavailableError(`Cannot download ${url}: ${e.name === 'TimeoutError' ? 'timed out' : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`}`);
    }
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      const why = `Cannot download ${url}: HTTP ${res.status} ${res.statusText}`.trim();
      if (res.status >= 500 || res.status === 429 || res.status === 408) throw new KojiUnavailableError(why);
      throw new KojiDownloadError(`${why}.`, false, res.status === 404 || res.status === 410);
    }
  }
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      opts.onBytes?.(chunk.length);
      done(null, chunk);
    },
  });
  try {
    await pipeline(body(url, res), tap, createWriteStream(tmp), { signal });
  } catch (err) {
    opts.signal?.throwIfAborted();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' && url.startsWith('file:')) throw new KojiDownloadError(`Cannot download ${url}: no such file.`, false, true);
    throw new KojiUnavailableError(`Cannot download ${url}: ${e.name === 'TimeoutError' ? 'timed out' : e.message}`);
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * `url` into `dest`: downloaded to a temp file, passed to `verify` (which throws a retryable
 * KojiDownloadError when the bytes are wrong), renamed into place.
 */
export async function downloadVerified(
  url: string,
  dest: string,
  verify: (tmp: string, got: Downloaded) => Promise<void>,
  opts: DownloadOptions,
): Promise<Downloaded> {
  await mkdir(path.dirname(dest), { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const tmp = partName(dest);
    try {
      const got = await downloadOnce(url, tmp, opts);
      await verify(tmp, got);
      await rename(tmp, dest);
      return got;
    } catch (err) {
      await unlink(tmp).catch(() => {});
      opts.signal?.throwIfAborted();
      const transient = err instanceof KojiUnavailableError || (err instanceof KojiDownloadError && err.retryable);
      if (!transient) throw err;
      if (attempt > opts.retries) {
        if (err instanceof KojiUnavailableError) throw new KojiUnavailableError(`${err.message} (${attempt} attempts)`);
        throw err;
      }
      await sleep(opts.retryDelayMs * 2 ** (attempt - 1), opts.signal);
    }
  }
}
