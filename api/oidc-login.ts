// The dashboard's OpenID Connect login round trip and GET /api/v1/current_user (spec Part B
// section 3). Login sends the browser to the provider (authorization code with PKCE, state in a
// cookie signed with SECRET_KEY); /oidc_callback trades the code for tokens and sends the browser
// back to its `redirect` with `?oidc_token=<access token>`, which the page keeps as its `token`
// cookie. The issuer, audience and keys are the oidc_* ODCS settings the API already verifies
// Bearer tokens with (api/auth/oidc.ts); the client id and secret are OIDC_CLIENT_ID/SECRET.
// Routes: api/dashboard.routes.ts.
import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { z } from 'zod';
import { BadRequestError, ServiceUnavailableError } from '../core/errors.js';
import * as routes from './dashboard.routes.js';
import type { ApiDeps } from './deps.js';
import type { Authenticator, Identity } from './auth.js';
import { createOidcAuthenticator } from './auth/oidc.js';
import { createRouter, register } from './routing.js';

const STATE_COOKIE = 'odcs_oidc_state';
const STATE_SECONDS = 600;
const FETCH_TIMEOUT_MS = 10_000;

const DiscoverySchema = z.looseObject({ authorization_endpoint: z.url(), token_endpoint: z.url(), end_session_endpoint: z.url().optional() });
const TokenSchema = z.looseObject({ access_token: z.string().min(1), token_type: z.string().optional(), id_token: z.string().optional() });
const StateSchema = z.object({ state: z.string(), verifier: z.string(), redirect: z.string() });

export const UNAUTHENTICATED = { is_authenticated: false, user: '', fas_groups: [] as string[] };

const b64url = (buf: Buffer) => buf.toString('base64url');

/** Relative paths, our own origin and the configured origins only: the token must not leak elsewhere. */
export function safeRedirect(target: string | undefined, allowedOrigins: string[]): string | null {
  if (!target) return '/';
  if (/^\/(?![/\\])/.test(target)) return target;
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  return allowedOrigins.includes(u.origin) ? u.toString() : null;
}

/** `url` with `oidc_token` added to its query. */
export function withToken(target: string, token: string): string {
  const hashAt = target.indexOf('#');
  const [base, hash] = hashAt < 0 ? [target, ''] : [target.slice(0, hashAt), target.slice(hashAt)];
  return `${base}${base.includes('?') ? '&' : '?'}oidc_token=${encodeURIComponent(token)}${hash}`;
}

/** The verifier of tokens: the API's own when it is openidc, otherwise one built from the same oidc_* settings. */
export function tokenVerifier(deps: Pick<ApiDeps, 'settings'> & { auth?: Authenticator }): { verifier: Authenticator | null; problem: string | null } {
  if (deps.auth?.verify) return { verifier: deps.auth, problem: null };
  if (!deps.settings.oidc_issuer) return { verifier: null, problem: 'oidc_issuer is not set' };
  try {
    return { verifier: createOidcAuthenticator(deps.settings, { cwd: process.cwd() }), problem: null };
  } catch (err) {
    return { verifier: null, problem: (err as Error).message };
  }
}

/** Who the request's token (Bearer, or the dashboard's `token` cookie) names; null when nobody or not valid. */
export async function currentUser(c: Context, verifier: Authenticator | null): Promise<Identity | null> {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header('Authorization') ?? '');
  const token = m?.[1] ?? getCookie(c, 'token');
  if (!token || !verifier?.verify) return null;
  try {
    return await verifier.verify(token);
  } catch (err) {
    if (err instanceof ServiceUnavailableError) throw err;
    return null;
  }
}

export function oidcLoginRoutes(deps: ApiDeps & { auth?: Authenticator }) {
  const { config, settings } = deps;
  const d = config.dashboard;
  const app = createRouter();

  const { verifier, problem: verifierProblem } = tokenVerifier(deps);
  const audience = settings.oidc_audience;
  const clientId = d.oidcClientId ?? (typeof audience === 'string' ? audience : (audience?.[0] ?? null));
  const allowed = [new URL(d.oidcRedirectUri).origin, ...d.oidcAllowedRedirects.map((o) => new URL(o).origin)];

  function loginConfig() {
    const missing = [
      verifierProblem,
      clientId ? null : 'OIDC_CLIENT_ID (or oidc_audience) is not set',
      d.oidcClientSecret ? null : 'OIDC_CLIENT_SECRET is not set',
      d.secretKey ? null : 'SECRET_KEY is not set',
    ].filter(Boolean);
    if (missing.length) throw new ServiceUnavailableError(`OpenID Connect login is not configured: ${missing.join('; ')}.`);
    return { clientId: clientId!, clientSecret: d.oidcClientSecret!, secretKey: d.secretKey! };
  }

  let discovery: Promise<z.output<typeof DiscoverySchema>> | null = null;
  function discover() {
    discovery ??= (async () => {
      const url = `${settings.oidc_issuer!.replace(/\/+$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
      return DiscoverySchema.parse(await res.json());
    })().catch((err) => {
      discovery = null;
      throw new ServiceUnavailableError(`The OpenID Connect provider's configuration is unavailable: ${(err as Error).message}`);
    });
    return discovery;
  }

  function redirectParam(redirect: string | undefined): string {
    const target = safeRedirect(redirect, allowed);
    if (target === null) throw new BadRequestError(`"redirect" must be a relative path or a URL on an allowed origin (${allowed.join(', ')}).`);
    return target;
  }

  register(app, routes.oidcLogin, async (c) => {
    const lc = loginConfig();
    const redirect = redirectParam(c.req.valid('query').redirect);
    const meta = await discover();
    const state = b64url(randomBytes(24));
    const verifierCode = b64url(randomBytes(32));
    await setSignedCookie(c, STATE_COOKIE, JSON.stringify({ state, verifier: verifierCode, redirect }), lc.secretKey, {
      path: '/',
      httpOnly: true,
      sameSite: 'Lax',
      maxAge: STATE_SECONDS,
      secure: d.oidcRedirectUri.startsWith('https:'),
    });
    const url = new URL(meta.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', lc.clientId);
    url.searchParams.set('redirect_uri', d.oidcRedirectUri);
    url.searchParams.set('scope', 'openid profile email');
    url.searchParams.set('state', state);
    url.searchParams.set('code_challenge', b64url(createHash('sha256').update(verifierCode).digest()));
    url.searchParams.set('code_challenge_method', 'S256');
    return c.redirect(url.toString(), 302);
  });

  register(app, routes.oidcCallback, async (c) => {
    const lc = loginConfig();
    const query = c.req.valid('query');
    const raw = await getSignedCookie(c, lc.secretKey, STATE_COOKIE);
    deleteCookie(c, STATE_COOKIE, { path: '/' });
    const saved = raw ? StateSchema.safeParse((() => { try { return JSON.parse(raw); } catch { return null; } })()) : null;
    if (!saved?.success || saved.data.state !== query.state) {
      throw new BadRequestError('The login state is missing, expired or does not match: start again at /api/v1/oidc_login.');
    }
    if (query.error) throw new BadRequestError(`The OpenID Connect provider refused the login: ${query.error}${query.error_description ? ` (${query.error_description})` : ''}.`);
    const code = query.code;
    if (!code) throw new BadRequestError('The callback has no "code".');
    const meta = await discover();
    let tokens: z.output<typeof TokenSchema>;
    try {
      const res = await fetch(meta.token_endpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json',
          Authorization: `Basic ${Buffer.from(`${encodeURIComponent(lc.clientId)}:${encodeURIComponent(lc.clientSecret)}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: d.oidcRedirectUri, code_verifier: saved.data.verifier, client_id: lc.clientId }),
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      const text = await res.text();
      if (res.status >= 400 && res.status < 500) {
        // A used, expired or foreign code: the login has to start again.
        throw new BadRequestError(`The OpenID Connect provider refused the code (HTTP ${res.status}: ${text.slice(0, 200)}); start again at /api/v1/oidc_login.`);
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
      tokens = TokenSchema.parse(JSON.parse(text));
    } catch (err) {
      if (err instanceof BadRequestError) throw err;
      throw new ServiceUnavailableError(`The OpenID Connect provider did not give a token: ${(err as Error).message}`);
    }
    // The page sends this token back; it must be one we accept.
    await verifier!.verify!(tokens.access_token);
    return c.redirect(withToken(saved.data.redirect, tokens.access_token), 302);
  });

  register(app, routes.oidcLogout, async (c) => {
    const redirect = redirectParam(c.req.valid('query').redirect);
    deleteCookie(c, 'token', { path: '/' });
    return c.redirect(redirect, 302);
  });

  register(app, routes.currentUser, async (c) => {
    const who = await currentUser(c, verifier);
    return c.json(who ? { is_authenticated: true, user: who.name, fas_groups: [...who.groups].sort() } : UNAUTHENTICATED, 200);
  });

  return app;
}
