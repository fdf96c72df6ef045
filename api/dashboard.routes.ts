// The routes of the Packager Dashboard's own endpoints (handlers: api/dashboard.ts, api/oidc-login.ts,
// api/packager-page.ts). Service-message writes check MOTD_PASSWORD before their body or id is read,
// so those parts are parsed by the handlers, with the schemas named here.
import { createRoute, z } from '@hono/zod-openapi';
import {
  CurrentUserSchema,
  DashboardV1Schema,
  DeploymentEnvSchema,
  LandingPageSchema,
  OidcCallbackQuerySchema,
  PackageParamsSchema,
  RedirectQuerySchema,
  ServiceMessageIdParamsSchema,
  ServiceMessageInputSchema,
  ServiceMessageSchema,
  UserParamsSchema,
} from '../core/schemas/dashboard.js';
import { ErrorSchema } from '../core/schemas/index.js';
import { BEARER_AUTH, json, WRITE_SECURITY } from './routing.js';

const tags = ['packager dashboard'];
const error = (description: string) => ({ description, content: json(ErrorSchema) });
const html = { 'text/html': { schema: z.string() } };
/** Service-message writes: the MOTD_PASSWORD secret as a Bearer token (not an identity). */
const MOTD_SECURITY = [{ [BEARER_AUTH]: [] }];
/** Reads that tell who is logged in: a Bearer token, the `token` cookie, or nobody. */
const TOKEN_SECURITY = WRITE_SECURITY;

export const landingPage = createRoute({
  method: 'get',
  path: '/api/v1/landing_page',
  tags,
  operationId: 'landingPage',
  summary: 'The release schedule of the landing page',
  description: 'Events of the `release_schedule` provider (SCHEDULE_URL); the first event not yet past is `current`. Queues a refresh when missing or stale.',
  responses: {
    200: {
      description: 'The schedule (empty until the provider was fetched).',
      content: json(LandingPageSchema, { schedule: { value: { schedule: [{ summary: 'Beta Freeze', date: '2025-08-19', current: true }] } } }),
    },
  },
});

export const deploymentEnv = createRoute({
  method: 'get',
  path: '/api/v1/deployment_env',
  tags,
  operationId: 'deploymentEnv',
  summary: 'prod or stg (OPENSHIFT_PROD)',
  responses: { 200: { description: 'The environment.', content: json(DeploymentEnvSchema) } },
});

export const serviceMessages = createRoute({
  method: 'get',
  path: '/api/v1/motd/service_messages',
  tags,
  operationId: 'serviceMessages',
  summary: 'Service messages shown on the dashboard',
  responses: { 200: { description: 'Oldest first.', content: json(z.array(ServiceMessageSchema)) } },
});

export const addServiceMessage = createRoute({
  method: 'post',
  path: '/api/v1/motd/service_messages',
  tags,
  operationId: 'addServiceMessage',
  summary: 'Add a service message (Authorization: Bearer <MOTD_PASSWORD>)',
  security: MOTD_SECURITY,
  request: { body: { required: true, description: 'The message.', content: json(ServiceMessageInputSchema) } },
  responses: {
    201: { description: 'Added.', content: json(ServiceMessageSchema) },
    400: error('Not JSON {severity, text}.'),
    401: error('No password.'),
    403: error('Wrong password, or posting disabled (MOTD_PASSWORD unset).'),
  },
});

export const deleteServiceMessage = createRoute({
  method: 'delete',
  path: '/api/v1/motd/service_messages/{id}',
  tags,
  operationId: 'deleteServiceMessage',
  summary: 'Remove a service message (Authorization: Bearer <MOTD_PASSWORD>)',
  security: MOTD_SECURITY,
  request: { params: ServiceMessageIdParamsSchema },
  responses: {
    200: { description: 'Removed.', content: json(z.object({ deleted: z.int() })) },
    400: error('The id is not a positive integer.'),
    401: error('No password.'),
    403: error('Wrong password, or posting disabled.'),
    404: error('No such message.'),
  },
});

export const currentUser = createRoute({
  method: 'get',
  path: '/api/v1/current_user',
  tags,
  operationId: 'currentUser',
  summary: 'Who the token (Authorization: Bearer, or the `token` cookie) names',
  security: TOKEN_SECURITY,
  responses: {
    200: {
      description: 'The user, or the unauthenticated default (no token, or a token not accepted).',
      content: json(CurrentUserSchema, { anonymous: { value: { is_authenticated: false, user: '', fas_groups: [] } } }),
    },
    503: error('The OpenID Connect provider\'s keys cannot be fetched.'),
  },
});

export const oidcLogin = createRoute({
  method: 'get',
  path: '/api/v1/oidc_login',
  tags,
  operationId: 'oidcLogin',
  summary: 'Start the OpenID Connect login',
  description: 'Authorization code with PKCE; the state is kept in a cookie signed with SECRET_KEY.',
  request: { query: RedirectQuerySchema },
  responses: {
    302: { description: 'To the provider.' },
    400: error('A redirect elsewhere.'),
    503: error('Login not configured, or the provider is down.'),
  },
});

export const oidcCallback = createRoute({
  method: 'get',
  path: '/oidc_callback',
  tags,
  operationId: 'oidcCallback',
  summary: 'The provider sends the browser back here',
  request: { query: OidcCallbackQuerySchema },
  responses: {
    302: { description: 'To the redirect, with ?oidc_token=<access token>.' },
    400: error('Bad or missing state, a refused login or a refused code.'),
    503: error('Login not configured, or the provider gave no token.'),
  },
});

export const oidcLogout = createRoute({
  method: 'get',
  path: '/api/v1/oidc_logout',
  tags,
  operationId: 'oidcLogout',
  summary: 'Log out (clears the token cookie)',
  request: { query: RedirectQuerySchema },
  responses: { 302: { description: 'To the redirect.' }, 400: error('A redirect elsewhere.') },
});

const v1Responses = {
  200: { description: 'Every section complete (or 404).', content: json(DashboardV1Schema) },
  202: { description: 'Some section partial or empty; poll again.', content: json(DashboardV1Schema) },
  400: error('Not a valid name.'),
};

export const packagerDashboardV1Package = createRoute({
  method: 'get',
  path: '/api/v1/packager_dashboard/package/{pkg}',
  tags,
  operationId: 'packagerDashboardV1Package',
  summary: 'Legacy v1 view of one package',
  request: { params: PackageParamsSchema },
  responses: v1Responses,
});

export const packagerDashboardV1User = createRoute({
  method: 'get',
  path: '/api/v1/packager_dashboard/{user}',
  tags,
  operationId: 'packagerDashboardV1User',
  summary: 'Legacy v1 view of one packager',
  description: 'The autocomplete lists under /api/v1/packager_dashboard/ are served by their own routes.',
  request: { params: UserParamsSchema },
  responses: v1Responses,
});

export const packagerPage = createRoute({
  method: 'get',
  path: '/packager/{user}',
  tags,
  operationId: 'packagerPage',
  summary: 'HTML view of a packager for people (who is logged in, packages and their state)',
  security: TOKEN_SECURITY,
  request: {
    params: UserParamsSchema,
    query: z.object({
      oidc_token: z.string().optional().openapi({ description: 'From the login round trip: kept as the `token` cookie, then dropped from the address.' }),
    }),
  },
  responses: {
    200: { description: 'Complete.', content: html },
    202: { description: 'Still loading; reload.', content: html },
    302: { description: 'Back from the login: the same page without the token.' },
    400: error('Not a user name.'),
  },
});
