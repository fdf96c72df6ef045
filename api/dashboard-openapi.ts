// OpenAPI descriptions of the Packager Dashboard routes of api/dashboard.ts and api/oidc-login.ts,
// listed with the provider routes. Documentation only: the handlers validate their own input.
import { z } from '@hono/zod-openapi';
import { ErrorSchema } from '../core/api-schemas.js';
import { SEVERITIES } from './dashboard.js';
import type { OpenApiRoute } from './openapi.js';

const json = (schema: z.ZodType, example?: unknown) => ({ 'application/json': { schema, ...(example !== undefined ? { example } : {}) } });
const error = (description: string) => ({ description, content: json(ErrorSchema) });
const tags = ['packager dashboard'];
const redirectQuery = z.object({ redirect: z.string().optional().openapi({ description: 'Where the browser goes afterwards: a relative path or a URL on an allowed origin.' }) });

const MessageSchema = z.object({ id: z.int(), severity: z.enum(SEVERITIES), text: z.string() });
const Section = z.object({ status: z.int(), data: z.record(z.string(), z.unknown()) });
const V1Schema = z.object({
  static_info: z.object({
    status: z.int().openapi({ description: '200 complete, 202 partial, 204 nothing yet, 404 not a packager.' }),
    last_synced: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
  }),
  bzs: Section,
  prs: Section,
  abrt_reports: Section,
});
const v1Responses = {
  200: { description: 'Every section complete.', content: json(V1Schema) },
  202: { description: 'Some section partial or empty; poll again.', content: json(V1Schema) },
  400: error('Not a valid name.'),
};

export const DASHBOARD_OPENAPI_ROUTES: OpenApiRoute[] = [
  {
    method: 'get',
    path: '/api/v1/landing_page',
    tags,
    operationId: 'landingPage',
    summary: 'The release schedule of the landing page',
    description: 'Events of the `release_schedule` provider (SCHEDULE_URL); the first event not yet past is `current`.',
    responses: {
      200: {
        description: 'The schedule.',
        content: json(z.object({ schedule: z.array(z.object({ summary: z.string(), date: z.string(), current: z.boolean() })) }), {
          schedule: [{ summary: 'Beta Freeze', date: '2025-08-19', current: true }],
        }),
      },
    },
  },
  {
    method: 'get',
    path: '/api/v1/deployment_env',
    tags,
    operationId: 'deploymentEnv',
    summary: 'prod or stg (OPENSHIFT_PROD)',
    responses: { 200: { description: 'The environment.', content: json(z.object({ deployment_env: z.enum(['prod', 'stg']) })) } },
  },
  {
    method: 'get',
    path: '/api/v1/motd/service_messages',
    tags,
    operationId: 'serviceMessages',
    summary: 'Service messages shown on the dashboard',
    responses: { 200: { description: 'Oldest first.', content: json(z.array(MessageSchema)) } },
  },
  {
    method: 'post',
    path: '/api/v1/motd/service_messages',
    tags,
    operationId: 'addServiceMessage',
    summary: 'Add a service message (Authorization: Bearer <MOTD_PASSWORD>)',
    request: { body: { content: json(z.object({ severity: z.enum(SEVERITIES), text: z.string() })) } },
    responses: {
      201: { description: 'Added.', content: json(MessageSchema) },
      400: error('Not {severity, text}.'),
      401: error('No password.'),
      403: error('Wrong password, or posting disabled (MOTD_PASSWORD unset).'),
    },
  },
  {
    method: 'delete',
    path: '/api/v1/motd/service_messages/{id}',
    tags,
    operationId: 'deleteServiceMessage',
    summary: 'Remove a service message (Authorization: Bearer <MOTD_PASSWORD>)',
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: { description: 'Removed.', content: json(z.object({ deleted: z.int() })) },
      401: error('No password.'),
      403: error('Wrong password, or posting disabled.'),
      404: error('No such message.'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/current_user',
    tags,
    operationId: 'currentUser',
    summary: 'Who the token (Authorization: Bearer, or the `token` cookie) names',
    responses: {
      200: {
        description: 'The user, or the unauthenticated default.',
        content: json(z.object({ is_authenticated: z.boolean(), user: z.string(), fas_groups: z.array(z.string()) }), {
          is_authenticated: false,
          user: '',
          fas_groups: [],
        }),
      },
    },
  },
  {
    method: 'get',
    path: '/api/v1/oidc_login',
    tags,
    operationId: 'oidcLogin',
    summary: 'Start the OpenID Connect login',
    request: { query: redirectQuery },
    responses: { 302: { description: 'To the provider.' }, 400: error('A redirect elsewhere.'), 503: error('Login not configured, or the provider is down.') },
  },
  {
    method: 'get',
    path: '/oidc_callback',
    tags,
    operationId: 'oidcCallback',
    summary: 'The provider sends the browser back here',
    request: { query: z.object({ code: z.string().optional(), state: z.string().optional() }) },
    responses: { 302: { description: 'To the redirect, with ?oidc_token=<access token>.' }, 400: error('Bad or missing state, or a refused login.'), 503: error('The provider gave no token.') },
  },
  {
    method: 'get',
    path: '/api/v1/oidc_logout',
    tags,
    operationId: 'oidcLogout',
    summary: 'Log out (clears the token cookie)',
    request: { query: redirectQuery },
    responses: { 302: { description: 'To the redirect.' }, 400: error('A redirect elsewhere.') },
  },
  {
    method: 'get',
    path: '/api/v1/packager_dashboard/{user}',
    tags,
    operationId: 'packagerDashboardV1User',
    summary: 'Legacy v1 view of one packager',
    request: { params: z.object({ user: z.string() }) },
    responses: v1Responses,
  },
  {
    method: 'get',
    path: '/api/v1/packager_dashboard/package/{pkg}',
    tags,
    operationId: 'packagerDashboardV1Package',
    summary: 'Legacy v1 view of one package',
    request: { params: z.object({ pkg: z.string() }) },
    responses: v1Responses,
  },
  {
    method: 'get',
    path: '/packager/{user}',
    tags,
    operationId: 'packagerPage',
    summary: 'HTML view of a packager for people (who is logged in, packages and their state)',
    request: { params: z.object({ user: z.string() }), query: z.object({ oidc_token: z.string().optional().openapi({ description: 'From the login round trip: kept as the `token` cookie, then dropped from the address.' }) }) },
    responses: {
      200: { description: 'Complete.', content: { 'text/html': { schema: z.string() } } },
      202: { description: 'Still loading.', content: { 'text/html': { schema: z.string() } } },
      302: { description: 'Back from the login: the same page without the token.' },
      400: error('Not a user name.'),
    },
  },
];
