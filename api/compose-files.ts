// /composes/: the compose trees over HTTP, as ODCS's Apache did: directory listings, Range
// requests and content types. No request reaches outside the compose root: `..` and encoded
// forms are refused, and symlinks are resolved and must stay inside.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ComposeFileParamsSchema, RangeHeaderSchema } from '../core/schemas/index.js';
import { jsonError } from './errors.js';
import { createRouter, errorResponse, register } from './routing.js';

export const composeRootRoute = createRoute({
  method: 'get',
  path: '/composes/',
  tags: ['files'],
  operationId: 'composeRoot',
  summary: 'Compose root listing',
  description: 'Directory listing of the compose root (the default `target_dir_url`). `/composes` redirects here.',
  responses: {
    200: { description: 'An HTML directory listing.', content: { 'text/html': { schema: z.string() } } },
    301: { description: 'Redirect from `/composes` to `/composes/`.' },
  },
});

export const composeFileRoute = createRoute({
  method: 'get',
  path: '/composes/{path}',
  tags: ['files'],
  operationId: 'composeFile',
  summary: 'Compose files',
  description: 'Files of the composes, as ODCS\'s Apache served them: directory listings, `Range` requests and content types by extension. Nothing outside the compose root is served.',
  request: { params: ComposeFileParamsSchema, headers: RangeHeaderSchema },
  responses: {
    200: {
      description: 'The file, or an HTML listing for a directory (path ending in `/`).',
      content: {
        'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) },
        'text/plain': { schema: z.string() },
        'text/html': { schema: z.string() },
      },
    },
    206: { description: 'The requested byte range (`Content-Range` says which).' },
    301: { description: 'A directory asked for without its trailing slash.' },
    404: errorResponse('No such file, or outside the compose root.', 'fileNotFound'),
    416: { description: 'The range cannot be satisfied.' },
  },
});

const CONTENT_TYPES: Record<string, string> = {
  '.repo': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.gz': 'application/gzip',
  '.zst': 'application/zstd',
  '.bz2': 'application/x-bzip2',
  '.xz': 'application/x-xz',
  '.sqlite': 'application/vnd.sqlite3',
  '.rpm': 'application/x-rpm',
  '.iso': 'application/x-iso9660-image',
  '.html': 'text/html; charset=utf-8',
  '.asc': 'text/plain; charset=utf-8',
};

const contentType = (file: string) => CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

/** The request path split into safe segments, or null when it tries to leave the root. */
export function safeSegments(rawPath: string): string[] | null {
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (seg === '.' || seg === '..' || seg.includes('/') || seg.includes('\\') || seg.includes('\0')) return null;
    segments.push(seg);
  }
  return segments;
}

function insideRoot(realRoot: string, real: string): boolean {
  return real === realRoot || real.startsWith(realRoot + path.sep);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function listing(urlPath: string, dir: string): string {
  const entries = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => a.name.localeCompare(b.name));
  const rows = entries.map((e) => {
    const name = e.isDirectory() ? `${e.name}/` : e.name;
    let size = '-';
    let mtime = '';
    try {
      const st = fs.statSync(path.join(dir, e.name));
      if (!st.isDirectory()) size = String(st.size);
      mtime = st.mtime.toISOString().replace('T', ' ').slice(0, 16);
    } catch {
      /* vanished meanwhile */
    }
    return `<tr><td><a href="${encodeURIComponent(e.name)}${e.isDirectory() ? '/' : ''}">${escapeHtml(name)}</a></td><td>${mtime}</td><td align="right">${size}</td></tr>`;
  });
  const title = `Index of ${escapeHtml(urlPath)}`;
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>\n<table><tr><th>Name</th><th>Last modified</th><th>Size</th></tr>\n<tr><td><a href="../">../</a></td><td></td><td></td></tr>\n${rows.join('\n')}\n</table></body></html>\n`;
}

/** Parses a single `bytes=` range; null when absent, 'invalid' when unsatisfiable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'invalid' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'invalid';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'invalid';
  return { start, end };
}

export function composeFileRoutes(composeRoot: string) {
  const app = createRouter();
  const serve = async (c: Context): Promise<Response> => {
    const urlPath = new URL(c.req.url).pathname; // raw: c.req.path drops a trailing slash
    const rel = urlPath.replace(/^\/composes/, '');
    const segments = safeSegments(rel);
    if (!segments) return jsonError(c, 404, `The requested URL ${urlPath} was not found on the server.`);
    fs.mkdirSync(composeRoot, { recursive: true });
    const realRoot = fs.realpathSync(composeRoot);
    let real: string;
    try {
      real = fs.realpathSync(path.join(realRoot, ...segments));
    } catch {
      return jsonError(c, 404, `The requested URL ${urlPath} was not found on the server.`);
    }
    if (!insideRoot(realRoot, real) || segments.some((s) => s.startsWith('.'))) {
      return jsonError(c, 404, `The requested URL ${urlPath} was not found on the server.`);
    }
    const st = fs.statSync(real);
    if (st.isDirectory()) {
      if (!urlPath.endsWith('/')) return c.redirect(`${urlPath}/`, 301);
      return c.html(listing(urlPath, real));
    }
    if (!st.isFile()) return jsonError(c, 404, `The requested URL ${urlPath} was not found on the server.`);
    const headers: Record<string, string> = {
      'Content-Type': contentType(real),
      'Accept-Ranges': 'bytes',
      'Last-Modified': st.mtime.toUTCString(),
    };
    const range = parseRange(c.req.header('range'), st.size);
    if (range === 'invalid') {
      return c.body(null, 416, { ...headers, 'Content-Range': `bytes */${st.size}` });
    }
    const { start, end } = range ?? { start: 0, end: st.size - 1 };
    const length = st.size === 0 ? 0 : end - start + 1;
    headers['Content-Length'] = String(length);
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
    const status = range ? 206 : 200;
    if (c.req.method === 'HEAD' || length === 0) return c.body(null, status, headers);
    const stream = Readable.toWeb(fs.createReadStream(real, { start, end })) as ReadableStream;
    return c.body(stream, status, headers);
  };
  // The app is not strict about trailing slashes, so '/composes/' lands here too: serve the root
  // listing then, and redirect only the slashless form (redirecting both looped forever).
  const parsedBy = { params: 'safeSegments (above)', headers: 'parseRange (above)' };
  register(app, composeRootRoute, (c) => (new URL(c.req.url).pathname === '/composes' ? c.redirect('/composes/', 301) : serve(c)), {
    routingPath: '/composes',
  });
  // `{path}` spans several segments: Hono's wildcard routes it.
  register(app, composeFileRoute, serve, { parsedBy, routingPath: '/composes/*' });
  return app;
}
