// datagrepper, Fedora's message bus archive (fedora-infra/datagrepper over datanommer), as a
// "changed since" feed: GET <base>/v2/search?topic=..&start=<unix>&end=<unix>&order=asc&rows_per_page=100&page=N
// answers {raw_messages: [{id, topic, headers: {"sent-at"}, body}], total, pages, count, arguments}
// (topics ORed, the window on each message's sent-at). A window the archive cannot vouch for is a
// gap, and the caller then asks every package itself: the archive lagging behind the bus (no
// message at all stored for the last FEED_LAG_MS: datanommer stores a backlog later, under the
// messages' own past sent-at times) or messages stored into the window while it was paged.
import { z } from 'zod';
import { parseUpstream, type FetchContext } from './http.js';
import { checkPages } from './paging.js';

/** The archive must hold a message sent this recently for its window up to now to count as complete. */
export const FEED_LAG_MS = 120_000;
const ROWS_PER_PAGE = 100;

const searchPageSchema = z.looseObject({
  raw_messages: z.array(z.looseObject({ topic: z.string(), body: z.unknown() })),
  total: z.number().int().min(0),
  pages: z.number().int().min(0),
});

const unix = (ms: number) => Math.floor(ms / 1000);

export function searchUrl(base: string, q: { topics: string[]; startMs: number; endMs: number; page: number; rowsPerPage?: number; order?: 'asc' | 'desc' }): string {
  const params = new URLSearchParams();
  for (const t of q.topics) params.append('topic', t);
  params.set('start', String(unix(q.startMs)));
  params.set('end', String(Math.ceil(q.endMs / 1000)));
  params.set('order', q.order ?? 'asc');
  params.set('rows_per_page', String(q.rowsPerPage ?? ROWS_PER_PAGE));
  params.set('page', String(q.page));
  return `${base}/v2/search?${params}`;
}

/** Whether the archive holds any message sent within FEED_LAG_MS before `nowMs` (it has caught up with the bus). */
async function caughtUp(ctx: FetchContext, base: string, nowMs: number): Promise<boolean> {
  const url = searchUrl(base, { topics: [], startMs: nowMs - FEED_LAG_MS, endMs: nowMs, page: 1, rowsPerPage: 1, order: 'desc' });
  return parseUpstream(searchPageSchema, await ctx.get(url), url).total > 0;
}

/**
 * The bodies of the messages on `topics` sent from `sinceMs` to now, oldest first; null when the
 * archive cannot vouch for that window (a gap). An error or garbage answer throws (the caller
 * then asks every package too).
 */
export async function messagesSince(ctx: FetchContext, base: string, topics: string[], sinceMs: number): Promise<Array<{ topic: string; body: unknown }> | null> {
  const nowMs = Date.now();
  if (!(await caughtUp(ctx, base, nowMs))) return null;
  const urlFor = (page: number) => searchUrl(base, { topics, startMs: sinceMs, endMs: nowMs, page });
  const first = urlFor(1);
  const page1 = parseUpstream(searchPageSchema, await ctx.get(first), first);
  const pages = checkPages(page1.pages, first);
  const rest = await ctx.map(
    Array.from({ length: Math.max(0, pages - 1) }, (_, i) => i + 2),
    async (page) => parseUpstream(searchPageSchema, await ctx.get(urlFor(page)), urlFor(page)),
  );
  // The window is closed (end = now), so its total moves only when a late message lands in it
  // while we page: the pages may then have skipped one.
  if (rest.some((p) => p.total !== page1.total)) return null;
  return [page1, ...rest].flatMap((p) => p.raw_messages);
}
