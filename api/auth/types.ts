// Shared by the auth backends (api/auth/*.ts) and the public auth API (api/auth.ts).
import type { Context } from 'hono';
import type { RequestUser } from '../../core/permissions.js';
import type { OdcsSettings } from '../../core/settings.js';

export interface Identity extends RequestUser {
  /** OIDC scopes of the token; null for backends without scopes (no per-method scope check). */
  scopes: string[] | null;
}

export interface Authenticator {
  readonly backend: OdcsSettings['auth_backend'];
  readonly settings: OdcsSettings;
  /** Who sent this request. Throws UnauthorizedError (401) when it cannot tell. */
  authenticate(c: Context): Promise<Identity>;
  /** openidc: verifies a token however it came (header, cookie). */
  verify?(token: string): Promise<Identity>;
}
