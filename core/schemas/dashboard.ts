// The Packager Dashboard's own endpoints (api/dashboard.routes.ts): landing page, deployment
// environment, service messages, the logged-in user and the legacy v1 views; requests and answers.
import { z } from '@hono/zod-openapi';
import { isValidAccountName, isValidPackageName } from '../providers/registry.js';

/** Bootstrap alert classes, what the dashboard renders a message with. */
export const SEVERITIES = ['primary', 'secondary', 'success', 'danger', 'warning', 'info', 'light', 'dark'] as const;

export type Severity = (typeof SEVERITIES)[number];

export const ServiceMessageSchema = z.object({ id: z.int(), severity: z.enum(SEVERITIES), text: z.string() });

/** The body of POST /api/v1/motd/service_messages (read by the handler after the password check). */
export const ServiceMessageInputSchema = z.strictObject({
  severity: z.enum(SEVERITIES),
  text: z.string().trim().min(1).max(2000),
});

/** The path of DELETE /api/v1/motd/service_messages/{id} (read by the handler after the password check). */
export const ServiceMessageIdParamsSchema = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/, 'The message id must be a positive integer.')
    .openapi({ example: '1', description: 'The message id.' }),
});

export const LandingPageSchema = z.object({
  schedule: z.array(z.object({ summary: z.string(), date: z.string().openapi({ description: 'YYYY-MM-DD' }), current: z.boolean() })),
});

export const DeploymentEnvSchema = z.object({ deployment_env: z.enum(['prod', 'stg']) });

export const CurrentUserSchema = z.object({ is_authenticated: z.boolean(), user: z.string(), fas_groups: z.array(z.string()) });

/** Where a login or logout sends the browser back to. */
export const RedirectQuerySchema = z.object({
  redirect: z.string().optional().openapi({ description: 'Where the browser goes afterwards: a relative path or a URL on an allowed origin (default /).' }),
});

export const OidcCallbackQuerySchema = z.object({
  code: z.string().optional().openapi({ description: 'The authorization code.' }),
  state: z.string().optional().openapi({ description: 'Must match the signed state cookie set by /api/v1/oidc_login.' }),
  error: z.string().optional().openapi({ description: 'The provider refused the login.' }),
  error_description: z.string().optional(),
});

const V1Status = z.union([z.literal(200), z.literal(202), z.literal(204), z.literal(404)]);
const V1Section = z.object({ status: V1Status, data: z.record(z.string(), z.unknown()) });

export const DashboardV1Schema = z.object({
  static_info: z.object({
    status: V1Status.openapi({ description: '200 complete, 202 partial, 204 nothing yet, 404 not a packager.' }),
    last_synced: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
  }),
  bzs: V1Section,
  prs: V1Section,
  abrt_reports: V1Section,
});

const invalid = (what: string) => (iss: { input: unknown }) => `Invalid ${what} name ${JSON.stringify(String(iss.input).slice(0, 100))}.`;

export const UserParamsSchema = z.object({
  user: z.string().refine(isValidAccountName, { error: invalid('user') }).openapi({ description: 'A FAS user name.', example: 'alice' }),
});

export const PackageParamsSchema = z.object({
  pkg: z.string().refine(isValidPackageName, { error: invalid('package') }).openapi({ description: 'A package name.', example: 'python-requests' }),
});
