// Who is calling (spec Part A "Auth", Part B §4). Three backends, chosen by `auth_backend`:
//   noauth  - every caller is "unknown" and every role holds; the API listens on loopback only
//             unless NOAUTH_ALLOW_PUBLIC (api/main.ts);
//   openidc - a Bearer JWT (api/auth/oidc.ts), with ODCS's scopes;
//   header  - user and groups named by an authenticating proxy at a trusted address (api/auth/header.ts).
// GETs stay anonymous: nothing is checked until a handler asks for the user.
//
// Routes use it so (createApp installs `authContext` in front of every route):
//   const user = await requireUser(c, 'new-compose');  // 401 without valid credentials, 403 without the scope
//   const admin = await requireAdmin(c);                // and 403 "User <u> is not in role admins."
//   app.post('/refresh', adminOnly, handler);           // the same as a middleware; c.get('user') in handler
import type { Context, MiddlewareHandler } from 'hono';
import { isAdmin } from '../core/permissions.js';
import { ForbiddenError } from '../core/errors.js';
import type { OdcsSettings } from '../core/settings.js';
import { createHeaderAuthenticator } from './auth/header.js';
import { createOidcAuthenticator } from './auth/oidc.js';
import type { Authenticator, Identity } from './auth/types.js';

export type { Authenticator, Identity } from './auth/types.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by authContext on every request. */
    authenticator: Authenticator;
    /** Set once a handler asked who is calling (requireUser, requireAdmin, adminOnly). */
    user: Identity;
  }
}

export const ANONYMOUS: Identity = { name: 'unknown', groups: [], scopes: null };

/** Scopes of ODCS's write endpoints, below `oidc_base_namespace`. */
export type ComposeScope = 'new-compose' | 'renew-compose' | 'delete-compose';

/** Builds the configured backend; a backend missing its settings is a ConfigError (the API does not start). */
export function createAuthenticator(settings: OdcsSettings, opts: { cwd?: string } = {}): Authenticator {
  switch (settings.auth_backend) {
    case 'noauth':
      return { backend: 'noauth', settings, authenticate: async () => ANONYMOUS };
    case 'openidc':
      return createOidcAuthenticator(settings, { cwd: opts.cwd ?? process.cwd() });
    case 'header':
      return createHeaderAuthenticator(settings);
  }
}

/** Makes the authenticator reachable from every handler; authenticates nobody by itself. */
export function authContext(auth: Authenticator): MiddlewareHandler {
  return async (c, next) => {
    c.set('authenticator', auth);
    await next();
    if (c.res.status === 401 && auth.backend === 'openidc' && !c.res.headers.has('WWW-Authenticate')) {
      c.res.headers.set('WWW-Authenticate', 'Bearer realm="odcs"');
    }
  };
}

function authenticatorOf(c: Context): Authenticator {
  const auth = c.get('authenticator');
  if (!auth) throw new Error('api/auth: authContext() is not installed in front of this route');
  return auth;
}

/**
 * The authenticated caller (401 when there is none), cached on the context as `user`. With `scope`,
 * an OIDC token must also carry `<oidc_base_namespace><scope>` (403 as ODCS's require_scopes).
 */
export async function requireUser(c: Context, scope?: ComposeScope | (string & {})): Promise<Identity> {
  const auth = authenticatorOf(c);
  let user = c.get('user');
  if (!user) {
    user = await auth.authenticate(c);
    c.set('user', user);
  }
  if (scope !== undefined && user.scopes !== null && !user.scopes.includes(auth.settings.oidc_base_namespace + scope)) {
    throw new ForbiddenError(`Request does not have required scope ${scope}`);
  }
  return user;
}

/** Whether the (already authenticated) caller is in role admins; always true with noauth, as in ODCS. */
export function callerIsAdmin(c: Context, user: Identity): boolean {
  return isAdmin(user, authenticatorOf(c).settings);
}

/** The caller, who must be in role admins: 401 unauthenticated, 403 `User <u> is not in role admins.` */
export async function requireAdmin(c: Context, scope?: string): Promise<Identity> {
  const user = await requireUser(c, scope);
  if (!callerIsAdmin(c, user)) throw new ForbiddenError(`User ${user.name} is not in role admins.`);
  return user;
}

/** requireAdmin as a route middleware: `app.post('/x', adminOnly, (c) => ... c.get('user') ...)`. */
export const adminOnly: MiddlewareHandler = async (c, next) => {
  await requireAdmin(c);
  await next();
};

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}
