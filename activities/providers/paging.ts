// The two paging styles of our upstreams. Bodhi answers {page, pages}; Pagure answers
// {pagination: {page, pages}} (its `next` links carry the host it believes it has, so we build
// page URLs ourselves). Page 1 first, then the rest concurrently, in order.
import { z } from 'zod';
import { MalformedUpstreamError, parseUpstream, type FetchContext } from './http.js';

/** More pages than this is a malformed answer, not a big upstream. */
const MAX_PAGES = 2000;

const bodhiPaging = z.looseObject({ page: z.number().int().min(1), pages: z.number().int().min(0) });
const pagurePaging = z.looseObject({
  pagination: z.looseObject({ pages: z.number().int().min(0).nullable().optional() }).nullable().optional(),
});

/** A page count beyond MAX_PAGES is a malformed answer. */
export function checkPages(pages: number, url: string): number {
  if (pages > MAX_PAGES) throw new MalformedUpstreamError(`GET ${url}: ${pages} pages is beyond the limit of ${MAX_PAGES}`, url);
  return pages;
}

/** Every page of a Bodhi list, parsed with `schema`. */
export async function bodhiPages<S extends z.ZodType>(ctx: FetchContext, urlFor: (page: number) => string, schema: S): Promise<z.output<S>[]> {
  const first = urlFor(1);
  const body = await ctx.get(first);
  const paging = parseUpstream(bodhiPaging, body, first);
  const pages = checkPages(paging.pages, first);
  const rest = Array.from({ length: Math.max(0, pages - 1) }, (_, i) => i + 2);
  const bodies = await ctx.map(rest, async (page) => {
    const url = urlFor(page);
    return parseUpstream(schema, await ctx.get(url), url);
  });
  return [parseUpstream(schema, body, first), ...bodies];
}

/** Every page of a Pagure list, parsed with `schema`; null when the first page is a 404 (allow404). */
export async function pagurePages<S extends z.ZodType>(
  ctx: FetchContext,
  urlFor: (page: number) => string,
  schema: S,
  opts: { allow404?: boolean } = {},
): Promise<z.output<S>[] | null> {
  const first = urlFor(1);
  const body = await ctx.get(first, opts);
  if (body === null) return null;
  const pages = checkPages(parseUpstream(pagurePaging, body, first).pagination?.pages ?? 1, first);
  const rest = Array.from({ length: Math.max(0, pages - 1) }, (_, i) => i + 2);
  const bodies = await ctx.map(rest, async (page) => {
    const url = urlFor(page);
    return parseUpstream(schema, await ctx.get(url), url);
  });
  return [parseUpstream(schema, body, first), ...bodies];
}
