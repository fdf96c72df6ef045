// Who is calling. This build knows the `noauth` backend only: every caller is "unknown", and the
// API refuses to listen beyond loopback with it (see api/main.ts).
import type { RequestUser } from '../core/compose-request.js';
import type { OdcsSettings } from '../core/settings.js';

export const ANONYMOUS: RequestUser = { name: 'unknown', groups: [] };

export function assertSupportedAuthBackend(settings: OdcsSettings): void {
  if (settings.auth_backend !== 'noauth') {
    throw new Error(`auth_backend "${settings.auth_backend}" is not available in this build; use "noauth"`);
  }
}

export function currentUser(_settings: OdcsSettings): RequestUser {
  return ANONYMOUS;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}
