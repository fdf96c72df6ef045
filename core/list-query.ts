// GET /api/1/composes/ query parsing and Flask-SQLAlchemy style paging metadata (spec Part B "List").
import { SOURCE_TYPES, type SourceTypeName } from './compose.js';
import { ValueError, pyRepr } from './errors.js';
import { parseState } from './lifecycle.js';

export interface ListFilters {
  owner?: string;
  source_type?: number;
  source?: string;
  state?: number;
  koji_task_id?: number;
  pungi_compose_id?: string;
  compose_type?: string;
  label?: string;
}

/** ODCS's allowed keys, typo `source_Type` included (clients may send it). */
export const ORDER_BY_KEYS = [
  'id',
  'owner',
  'source_Type',
  'koji_event',
  'state',
  'time_to_expire',
  'time_submitted',
  'time_done',
  'time_removed',
] as const;
export type OrderByKey = (typeof ORDER_BY_KEYS)[number];
export type OrderColumn = Exclude<OrderByKey, 'source_Type'> | 'source_type';

export interface ListQuery {
  filters: ListFilters;
  /** `source_Type` sorts by the source_type column (ODCS itself crashed on it). */
  orderBy: { column: OrderColumn; descending: boolean };
  page: number;
  perPage: number;
  /** Rows to skip: (page - 1) * perPage. */
  offset: number;
}

const DEFAULT_PER_PAGE = 10;
const NEGATIVE_PER_PAGE = 20; // Flask-SQLAlchemy's replacement for a negative per_page
const MAX_PER_PAGE = 100;

/** Werkzeug's args.get(key, default, type=int): a value int() rejects gives the default. */
function intArg(query: Record<string, string>, key: string, fallback: number): number {
  const raw = query[key];
  if (raw === undefined || !/^\s*[+-]?\d+\s*$/.test(raw)) return fallback;
  return Number(raw.trim());
}

/** Bounds of the integer columns the filters compare with (smallint, bigint as far as JS is exact). */
const INT_FILTER_RANGE: Record<string, [number, number]> = {
  source_type: [-32768, 32767],
  koji_task_id: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function intFilter(key: string, raw: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw new ValueError(`Invalid ${key} ${pyRepr(raw)}, an integer is expected.`);
  const n = Number(raw.trim());
  const [min, max] = INT_FILTER_RANGE[key] ?? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  if (n < min || n > max) throw new ValueError(`Invalid ${key} ${pyRepr(raw)}, the integer is out of range.`);
  return n;
}

/** PostgreSQL text cannot hold NUL; ODCS (psycopg2) refused such a value with this ValueError. */
function assertNoNul(value: string): void {
  if (value.includes('\0')) throw new ValueError('A string literal cannot contain NUL (0x00) characters.');
}

/** Pages past this are past the end of any table, and keep OFFSET within bigint. */
const MAX_PAGE = 2 ** 31 - 1;

function parseOrderBy(raw: string | undefined): ListQuery['orderBy'] {
  let key = raw ?? '-id';
  let descending = false;
  if (key.length > 1 && key.startsWith('-')) {
    descending = true;
    key = key.slice(1);
  }
  if (!(ORDER_BY_KEYS as readonly string[]).includes(key)) {
    throw new ValueError(`An invalid order_by key was suplied, allowed keys are: ${pyRepr([...ORDER_BY_KEYS])}`);
  }
  const column = key === 'source_Type' ? 'source_type' : (key as OrderColumn);
  return { column, descending };
}

/** Filters are exact-match and ignored when empty; state and source_type also accept names. */
export function parseListQuery(query: Record<string, string>): ListQuery {
  const filters: ListFilters = {};
  const present = (key: string): string | undefined => (query[key] ? query[key] : undefined);

  for (const key of ['owner', 'source', 'pungi_compose_id', 'compose_type', 'label'] as const) {
    const v = present(key);
    if (v !== undefined) {
      assertNoNul(v);
      filters[key] = v;
    }
  }
  const state = present('state');
  if (state !== undefined) {
    const n = parseState(state.trim());
    if (n === null) throw new ValueError(`Invalid state ${pyRepr(state)}.`);
    filters.state = n;
  }
  const sourceType = present('source_type');
  if (sourceType !== undefined) {
    filters.source_type = Object.hasOwn(SOURCE_TYPES, sourceType)
      ? SOURCE_TYPES[sourceType as SourceTypeName]
      : intFilter('source_type', sourceType);
  }
  const kojiTaskId = present('koji_task_id');
  if (kojiTaskId !== undefined) filters.koji_task_id = intFilter('koji_task_id', kojiTaskId);

  const orderBy = parseOrderBy(query.order_by);
  const page = Math.min(MAX_PAGE, Math.max(1, intArg(query, 'page', 1)));
  let perPage = intArg(query, 'per_page', DEFAULT_PER_PAGE);
  if (perPage < 0) perPage = NEGATIVE_PER_PAGE;
  perPage = Math.min(perPage, MAX_PER_PAGE);
  return { filters, orderBy, page, perPage, offset: (page - 1) * perPage };
}

export interface PageMeta {
  page: number;
  pages: number;
  per_page: number;
  total: number;
  first: string;
  last: string;
  prev: string | null;
  next: string | null;
}

/** Werkzeug's url_quote_plus: unreserved characters stay, space becomes '+', the rest is %XX. */
function quotePlus(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}

/**
 * The "meta" object of a list response. Links are absolute, carry page and per_page first and then
 * the other query args (minus page/per_page/endpoint and `_`-prefixed ones), as Flask's url_for did.
 */
export function buildPageMeta(args: {
  page: number;
  perPage: number;
  total: number;
  baseUrl: string;
  query: Record<string, string>;
}): PageMeta {
  const { page, perPage, total, baseUrl, query } = args;
  const pages = perPage === 0 ? 0 : Math.ceil(total / perPage);
  const kept = Object.entries(query).filter(
    ([k]) => k !== 'page' && k !== 'per_page' && k !== 'endpoint' && !k.startsWith('_'),
  );
  const link = (p: number): string => {
    const params: [string, string][] = [['page', String(p)], ['per_page', String(perPage)], ...kept];
    return `${baseUrl}?${params.map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`).join('&')}`;
  };
  return {
    page,
    pages,
    per_page: perPage,
    total,
    first: link(1),
    last: link(pages),
    prev: page > 1 ? link(page - 1) : null,
    next: page < pages ? link(page + 1) : null,
  };
}
