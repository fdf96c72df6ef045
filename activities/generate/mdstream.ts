// Streams the <package> elements of a yum metadata file (primary, filelists, other) as raw XML
// text, decompressing on the fly (gz in-process; zst, xz, bz2 through the system tools). Raw text
// is what derived repodata copies, and a scan over createrepo_c's regular layout is several times
// faster than a general XML parser at Fedora's size; the small attribute/entity helpers live here.
import { spawn } from 'node:child_process';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { GenerationError } from './errors.js';

const TOOLS: Record<string, string[]> = {
  '.zst': ['zstd', '-dcq'],
  '.xz': ['xz', '-dc'],
  '.bz2': ['bzip2', '-dc'],
};

/** A file name's last extension with its dot (".gz"), or "". */
const extOf = (file: string) => /\.[a-z0-9]+$/.exec(file)?.[0] ?? '';

/** The decompressed bytes of `file` as a stream; errors of the tool end the stream with an error. */
export function openDecompressed(file: string): Readable {
  const ext = extOf(file);
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  if (ext === '.gz') {
    // Decompressed pieces of 96 KB: fewer thread-pool round trips than small pieces (a third of the
    // time for a few MB), while as strings they stay below V8's large-object size (about 128 KB),
    // so scanned text dies young instead of piling up in large-object space until a full GC.
    const gunzip = createGunzip({ chunkSize: 96 * 1024 });
    raw.on('error', (e) => gunzip.destroy(e));
    return raw.pipe(gunzip);
  }
  const tool = TOOLS[ext];
  if (!tool) return raw;
  raw.destroy();
  const child = spawn(tool[0], [...tool.slice(1), file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
  child.on('error', (e) => child.stdout.destroy(e));
  child.on('close', (code) => {
    if (code !== 0) child.stdout.destroy(new Error(`${tool[0]} exit ${code}: ${err.trim()}`));
  });
  return child.stdout;
}

/**
 * Metadata files up to this size (as stored) are read and decompressed in one synchronous call: a
 * few milliseconds, where a stream of the same file waits for the thread pool once per piece.
 */
export const SMALL_METADATA = 2 << 20;

/** The whole text of a small metadata file (SMALL_METADATA, gz or uncompressed), or undefined for any other. */
function smallText(file: string): string | undefined {
  const ext = extOf(file);
  if (ext !== '.gz' && TOOLS[ext]) return undefined;
  if (statSync(file).size > SMALL_METADATA) return undefined;
  const raw = readFileSync(file);
  return (ext === '.gz' ? gunzipSync(raw) : raw).toString('utf8');
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes XML character and entity references. */
export function unescapeXml(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}

export const escapeXml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

const ATTR_RE = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** Attributes of one start tag's attribute text (`name="a" flags="EQ"`), entity-decoded. */
export function attrs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(ATTR_RE)) out[m[1]] = unescapeXml(m[2] ?? m[3]);
  return out;
}

/**
 * One attribute of a start tag's attribute text, entity-decoded; undefined when absent. Reads
 * createrepo_c's `name="value"` directly (no object per tag), any other spelling through attrs().
 */
export function attr(text: string, name: string): string | undefined {
  let at = text.indexOf(name);
  while (at >= 0) {
    const before = text.charCodeAt(at - 1);
    const end = at + name.length;
    // A whole attribute name: preceded by whitespace, followed by ="
    if ((before === 32 || before === 9 || before === 10 || before === 13) && text.charCodeAt(end) === 61 && text.charCodeAt(end + 1) === 34) {
      const close = text.indexOf('"', end + 2);
      return close < 0 ? undefined : unescapeXml(text.slice(end + 2, close));
    }
    at = text.indexOf(name, end);
  }
  return text.includes(name) ? attrs(text)[name] : undefined;
}

/** A metadata file could not be read as what repomd.xml says it is. */
export function badMetadata(repo: string, file: string, why: string): GenerationError {
  const shown = path.isAbsolute(file) && file.startsWith(repo + path.sep) ? path.relative(repo, file) : file;
  return new GenerationError(`Repository ${repo}: metadata file ${shown} is unusable: ${why}.`);
}

export interface ScanResult {
  /** Attributes of the root element (e.g. packages="N"). */
  root: Record<string, string>;
  count: number;
}

/**
 * Calls `onRoot` with the root element's attributes, then `onPackage` with each `<package …>…</package>`
 * element of `file`, in order. Fails (naming
 * `repo` and `file`) on a decompression error, a missing root element, a truncated document or a
 * package count different from the root's `packages` attribute.
 */
export async function scanPackages(
  repo: string,
  file: string,
  rootName: string,
  onPackage: (xml: string) => void | Promise<void>,
  onRoot?: (root: Record<string, string>) => void,
): Promise<ScanResult> {
  let stream: Readable | undefined;
  let buf = '';
  let root: Record<string, string> | undefined;
  let count = 0;
  let closed = false;
  const closeTag = `</${rootName}>`;
  try {
    const small = smallText(file);
    if (small === undefined) {
      stream = openDecompressed(file);
      stream.setEncoding('utf8');
    }
    for await (const piece of stream ?? [small!]) {
      buf = buf.length ? buf + piece : piece;
      let pos = 0;
      if (!root) {
        const m = new RegExp(`<${rootName}(\\s[^>]*)?>`).exec(buf);
        if (!m) {
          if (buf.length > 65536) throw badMetadata(repo, file, `no <${rootName}> element`);
          continue;
        }
        root = attrs(m[1] ?? '');
        onRoot?.(root);
        pos = m.index + m[0].length;
      }
      for (;;) {
        const start = buf.indexOf('<package', pos);
        if (start < 0) break;
        const end = buf.indexOf('</package>', start);
        if (end < 0) {
          pos = start;
          break;
        }
        const stop = end + 10;
        const wait = onPackage(buf.slice(start, stop));
        if (wait) await wait;
        count++;
        pos = stop;
      }
      buf = buf.slice(pos);
      if (buf.includes(closeTag)) closed = true;
    }
  } catch (e) {
    if (e instanceof GenerationError) throw e;
    throw badMetadata(repo, file, (e as Error).message);
  } finally {
    stream?.destroy();
  }
  if (!root) throw badMetadata(repo, file, `no <${rootName}> element`);
  if (!closed) throw badMetadata(repo, file, `truncated (no ${closeTag} after ${count} packages)`);
  const declared = root.packages;
  if (declared !== undefined && Number(declared) !== count) throw badMetadata(repo, file, `it declares ${declared} packages but holds ${count}`);
  return { root, count };
}
