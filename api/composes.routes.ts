// The routes of ODCS's compose resource, /api/1/composes/ (handlers: api/composes.ts). The bodies
// and the list query are documented here and parsed by core/compose-request.ts,
// core/patch-request.ts and core/list-query.ts, which keep ODCS's messages.
import { createRoute } from '@hono/zod-openapi';
import {
  COMPOSE_EXAMPLES,
  ComposeDetailSchema,
  ComposeIdParamsSchema,
  ComposeListSchema,
  ComposeRequestSchema,
  ComposeSchema,
  DELETE_EXAMPLES,
  DeleteResponseSchema,
  LIST_EXAMPLE,
  ListQuerySchema,
  PATCH_EXAMPLES,
  POST_EXAMPLES,
  RenewRequestSchema,
} from '../core/schemas/index.js';
import { errorResponse, ID_NOTE, json, WRITE_SECURITY } from './routing.js';

const tags = ['composes'];

export const listComposes = createRoute({
  method: 'get',
  path: '/api/1/composes/',
  tags,
  operationId: 'listComposes',
  summary: 'List composes',
  description: 'A page of composes, newest first unless `order_by` says otherwise. Filters are exact-match, combined with AND, and ignored when empty. A page past the end has empty `items`.',
  request: { query: ListQuerySchema },
  responses: {
    200: { description: 'A page of composes.', content: json(ComposeListSchema, { tagComposes: { summary: 'Tag composes', value: LIST_EXAMPLE } }) },
    400: errorResponse('A filter or `order_by` is invalid.', 'badOrderBy', 'badState'),
    503: errorResponse('The database is unavailable.', 'databaseDown'),
  },
});

export const createCompose = createRoute({
  method: 'post',
  path: '/api/1/composes/',
  tags,
  operationId: 'createCompose',
  summary: 'Request a compose',
  description: `Creates a compose in state \`wait\` and starts its workflow; poll GET /api/1/composes/{id} until it is \`done\` or \`failed\`. The body is read as JSON whatever the Content-Type. An identical earlier compose may be reused (unless \`no_reuse\`). ${ID_NOTE}`,
  security: WRITE_SECURITY,
  request: {
    body: { required: true, description: 'What to compose.', content: json(ComposeRequestSchema, POST_EXAMPLES) },
  },
  responses: {
    200: { description: 'The new compose.', content: json(ComposeSchema, { tagWait: { summary: 'A tag compose, waiting', value: COMPOSE_EXAMPLES.tagWait } }) },
    400: errorResponse('The body is invalid (ODCS\'s own messages).', 'noBody', 'badJson', 'missingType', 'unknownFlag'),
    403: errorResponse('The caller may not create such a compose.', 'forbiddenSourceType'),
    413: errorResponse('The body is too large.', 'tooLarge'),
    503: errorResponse('The workflow service or the database is unavailable; the compose, if created, is marked failed.', 'temporalDown'),
  },
});

export const getCompose = createRoute({
  method: 'get',
  path: '/api/1/composes/{id}',
  tags,
  operationId: 'getCompose',
  summary: 'Get a compose',
  description: 'One compose, with `pungi_config_dump`.',
  request: { params: ComposeIdParamsSchema },
  responses: {
    200: {
      description: 'The compose.',
      content: json(ComposeDetailSchema, {
        done: { summary: 'A done tag compose', value: { ...COMPOSE_EXAMPLES.tagDone, pungi_config_dump: null } },
        failed: { summary: 'A failed repo compose', value: { ...COMPOSE_EXAMPLES.repoFailed, pungi_config_dump: null } },
      }),
    },
    404: errorResponse('No such compose.', 'notFound'),
  },
});

export const renewCompose = createRoute({
  method: 'patch',
  path: '/api/1/composes/{id}',
  tags,
  operationId: 'renewCompose',
  summary: 'Renew a compose',
  description: `Extends a done compose's life, or copies a removed or failed one (or one renewed with other sigkeys, label, modules or builds) into a new compose, which is returned. Only done, removed and failed composes can be renewed. ${ID_NOTE}`,
  security: WRITE_SECURITY,
  request: {
    params: ComposeIdParamsSchema,
    body: { required: false, description: 'Optional.', content: json(RenewRequestSchema, PATCH_EXAMPLES) },
  },
  responses: {
    200: {
      description: 'The extended compose, or the new copy.',
      content: json(ComposeSchema, { extended: { summary: 'An extended compose', value: { ...COMPOSE_EXAMPLES.tagDone, time_to_expire: '2024-01-15T12:30:00Z' } } }),
    },
    400: errorResponse('The body is invalid.', 'badJson'),
    403: errorResponse('The caller may not renew this compose.', 'forbiddenSourceType'),
    404: errorResponse('No such compose, or it is neither done, removed nor failed.', 'renewNotFound'),
    503: errorResponse('The workflow service is unavailable.', 'temporalDown'),
  },
});

export const deleteCompose = createRoute({
  method: 'delete',
  path: '/api/1/composes/{id}',
  tags,
  operationId: 'deleteCompose',
  summary: 'Cancel or remove a compose',
  description: `A waiting compose is canceled (by its owner or an admin); a done or failed one (admins only) expires now and its files are removed within seconds. ${ID_NOTE}`,
  security: WRITE_SECURITY,
  request: { params: ComposeIdParamsSchema },
  responses: {
    202: { description: 'Accepted.', content: json(DeleteResponseSchema, DELETE_EXAMPLES) },
    400: errorResponse('The compose is in a state that cannot be removed.', 'deleteNotRemovable'),
    403: errorResponse('The caller may not cancel or remove this compose.'),
    404: errorResponse('No such compose.', 'notFound'),
    503: errorResponse('The workflow service is unavailable.', 'temporalDown'),
  },
});
