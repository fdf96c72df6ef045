// GET /api/1/composes/: its query (parsed by core/list-query.ts) and the page it answers.
import { z } from '@hono/zod-openapi';
import { COMPOSE_STATES, SOURCE_TYPES } from '../compose.js';
import { ORDER_BY_KEYS } from '../list-query.js';
import { COMPOSE_EXAMPLES, ComposeSchema } from './compose.js';
import { namesOf, numberTable as table } from './helpers.js';

export const PageMetaSchema = z
  .strictObject({
    page: z.int().min(1).openapi({ description: 'This page (1-based).' }),
    pages: z.int().min(0).openapi({ description: 'Number of pages.' }),
    per_page: z.int().min(0).openapi({ description: 'Items per page.' }),
    total: z.int().min(0).openapi({ description: 'Number of matching composes.' }),
    first: z.string().openapi({ description: 'Absolute URL of the first page, keeping the other query arguments.' }),
    last: z.string().openapi({ description: 'Absolute URL of the last page.' }),
    prev: z.string().nullable().openapi({ description: 'Absolute URL of the previous page, null on the first.' }),
    next: z.string().nullable().openapi({ description: 'Absolute URL of the next page, null on the last.' }),
  })
  .openapi('PageMeta', { description: 'Flask-SQLAlchemy style paging metadata.' });

export const LIST_EXAMPLE = {
  items: [COMPOSE_EXAMPLES.tagDone],
  meta: {
    page: 1,
    pages: 1,
    per_page: 10,
    total: 1,
    first: 'http://127.0.0.1:8080/api/1/composes/?page=1&per_page=10&source_type=tag',
    last: 'http://127.0.0.1:8080/api/1/composes/?page=1&per_page=10&source_type=tag',
    prev: null,
    next: null,
  },
};

export const ComposeListSchema = z
  .strictObject({
    items: z.array(ComposeSchema),
    meta: PageMetaSchema,
  })
  .openapi('ComposeList', { description: 'A page of composes (list items omit `pungi_config_dump`).', example: LIST_EXAMPLE });

const ORDER_BY_VALUES = [...ORDER_BY_KEYS, ...ORDER_BY_KEYS.map((k) => `-${k}` as const)] as [string, ...string[]];

/** GET /api/1/composes/ query. Filters are exact-match and ignored when empty. */
export const ListQuerySchema = z.object({
  owner: z.string().optional().openapi({ description: 'Owner name.', example: 'unknown' }),
  source_type: z
    .union([z.enum(namesOf(SOURCE_TYPES)), z.int()])
    .optional()
    .openapi({ description: `Source type, by name or number (${table(SOURCE_TYPES)}).`, example: 'tag' }),
  source: z.string().optional().openapi({ description: 'Source, exactly as stored (space-separated, sorted).', example: 'demo' }),
  state: z
    .union([z.enum(namesOf(COMPOSE_STATES)), z.int()])
    .optional()
    .openapi({ description: `State, by name or number (${table(COMPOSE_STATES)}).`, example: 'done' }),
  koji_task_id: z.int().optional().openapi({ description: 'Koji task id.' }),
  pungi_compose_id: z.string().optional().openapi({ description: 'Pungi compose id.', example: 'odcs-1-1-20240115.t.0' }),
  compose_type: z.string().optional().openapi({ description: 'Compose type.', example: 'test' }),
  label: z.string().optional().openapi({ description: 'Compose label.' }),
  order_by: z
    .enum(ORDER_BY_VALUES)
    .optional()
    .openapi({ description: 'Sort key, `-` for descending; default `-id`. (`source_Type` is ODCS\'s own spelling.)', example: '-id' }),
  page: z.int().optional().openapi({ description: 'Page number; default 1, values below 1 mean 1.', example: 1 }),
  per_page: z.int().optional().openapi({ description: 'Items per page; default 10, at most 100, negative means 20.', example: 10 }),
});

