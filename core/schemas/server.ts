// Server information, health and compose files: GET /api/1/about/, /healthz, /readyz, /composes/.
import { z } from '@hono/zod-openapi';

export const ClientPermissionsSchema = z
  .strictObject({
    source_types: z.array(z.string()).optional(),
    sources: z.array(z.string()).optional(),
    results: z.array(z.string()).optional(),
    flags: z.array(z.string()).optional(),
    arches: z.array(z.string()).optional(),
    compose_types: z.array(z.string()).optional(),
    target_dirs: z.array(z.string()).optional(),
    raw_config_keys: z.array(z.string()).optional(),
  })
  .openapi('ClientPermissions', { description: 'Per-attribute permissions; a missing list falls back to the server\'s allowed_<attr>.' });

export const AboutSchema = z
  .strictObject({
    version: z.string().openapi({ description: 'Server version.' }),
    auth_backend: z.enum(['noauth', 'openidc', 'header']).openapi({ description: 'Authentication backend.' }),
    allowed_clients: z
      .strictObject({
        groups: z.record(z.string(), ClientPermissionsSchema),
        users: z.record(z.string(), ClientPermissionsSchema),
      })
      .openapi({ description: 'Users and groups allowed to create and renew composes, with their permissions.' }),
    raw_config_urls: z
      .record(z.string(), z.looseObject({ url: z.string(), config_filename: z.string() }))
      .openapi({ description: 'raw_config sources by name.' }),
    sigkeys: z.array(z.string()).openapi({ description: 'Default signing keys.' }),
  })
  .openapi('About', {
    description: 'Server configuration, in ODCS\'s shape.',
    example: { version: '0.1.0', auth_backend: 'noauth', allowed_clients: { groups: {}, users: {} }, raw_config_urls: {}, sigkeys: [] },
  });


export const HealthSchema = z.strictObject({ status: z.literal('ok') }).openapi('Health', { example: { status: 'ok' } });

export const CheckSchema = z
  .strictObject({ ok: z.boolean(), error: z.string().optional() })
  .openapi('DependencyCheck', { description: 'One dependency\'s answer; `error` says why it is down.' });
const ChecksSchema = z.strictObject({ postgres: CheckSchema, temporal: CheckSchema });
export const ReadyDetailsSchema = z
  .strictObject({
    composeRoot: z.strictObject({
      usageBytes: z.number().int().nullable().openapi({ description: 'Bytes the compose trees take (null while PostgreSQL is down).' }),
      limitBytes: z.number().int().nullable().openapi({ description: 'COMPOSE_ROOT_LIMIT, or null for no limit.' }),
    }),
    workflowStarts: z
      .strictObject({
        pending: z.number().int().openapi({ description: 'Workflow starts and signals committed but not yet delivered to Temporal.' }),
        oldestSeconds: z.number().openapi({ description: 'Age of the oldest of them.' }),
      })
      .nullable()
      .openapi({ description: 'The starter\'s backlog (null while PostgreSQL is down); it grows while Temporal is away.' }),
  })
  .openapi('ReadyDetails', { description: 'Reported, never a readiness failure: a full compose root makes generations wait.' });

export const ReadySchema = z
  .strictObject({
    status: z.enum(['ready', 'degraded']).openapi({
      description: '`degraded`: Temporal is away. Compose writes are still accepted (PostgreSQL holds them) and their workflows start when it is back.',
    }),
    message: z.string().optional().openapi({ description: 'What is degraded and what still works.' }),
    degraded: z.array(z.enum(['temporal'])).optional(),
    checks: ChecksSchema,
    details: ReadyDetailsSchema,
  })
  .openapi('Ready', {
    description: 'Serving: PostgreSQL answers, so reads and writes work.',
    example: {
      status: 'ready',
      checks: { postgres: { ok: true }, temporal: { ok: true } },
      details: { composeRoot: { usageBytes: 10485760, limitBytes: 536870912000 }, workflowStarts: { pending: 0, oldestSeconds: 0 } },
    },
  });

export const NotReadySchema = z
  .strictObject({
    status: z.literal(503),
    error: z.literal('Service Unavailable'),
    message: z.string(),
    down: z.array(z.enum(['postgres', 'temporal'])).openapi({ description: 'Always names postgres; temporal too when it is also away.' }),
    checks: ChecksSchema,
    details: ReadyDetailsSchema,
  })
  .openapi('NotReady', {
    description: 'The error body plus what is down.',
    example: {
      status: 503,
      error: 'Service Unavailable',
      message: 'not ready: postgres unavailable',
      down: ['postgres'],
      checks: { postgres: { ok: false, error: 'PostgreSQL did not answer within 2000 ms' }, temporal: { ok: true } },
      details: { composeRoot: { usageBytes: null, limitBytes: null }, workflowStarts: null },
    },
  });

// ---------------------------------------------------------------------------------------------
// Compose files

export const ComposeFileParamsSchema = z.object({
  path: z.string().openapi({
    description: 'Path under the compose root; may contain `/`. A directory without a trailing slash redirects to it with one.',
    example: 'odcs-1/compose/Temporary/odcs-1.repo',
  }),
});

export const RangeHeaderSchema = z.object({
  range: z.string().optional().openapi({ description: 'A single `bytes=` range.', example: 'bytes=0-99' }),
});
