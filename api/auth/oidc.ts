// auth_backend "openidc": `Authorization: Bearer <JWT>`, verified with jose against the configured
// issuer, audience and keys (a remote JWKS, cached by jose, or one PEM public key). The user comes
// from a configured claim, groups from `groups`, scopes from `scope` (a string) or `scp` (a list).
// Every refusal is a 401 whose message says what is wrong with the token.
import { createPublicKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from 'hono';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ConfigError } from '../../core/config.js';
import { UnauthorizedError } from '../../core/errors.js';
import type { OdcsSettings } from '../../core/settings.js';
import { ServiceUnavailableError } from '../../core/errors.js';
import type { Authenticator, Identity } from './types.js';

/** The JWKS could not be fetched or read: our dependency is down, not the caller's fault. */
class KeySetUnavailableError extends Error {}

const invalid = (what: string) => new UnauthorizedError(`Invalid OIDC access token: ${what}.`);

export function bearerToken(c: Context): string {
  const header = c.req.header('Authorization');
  if (!header) throw new UnauthorizedError('No OIDC access token: send it as "Authorization: Bearer <token>".');
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  if (!m) throw new UnauthorizedError('The Authorization header is not "Bearer <token>": only OIDC access tokens are accepted.');
  return m[1];
}

/** PEM text, or the path of a file holding it (relative paths from `cwd`). */
export function loadPublicKey(value: string, cwd: string): KeyObject {
  let pem = value;
  if (!value.includes('-----BEGIN')) {
    const file = path.resolve(cwd, value);
    try {
      pem = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`invalid ODCS settings: oidc_public_key_pem: cannot read ${file}: ${(err as Error).message}`);
    }
  }
  try {
    // A private key or a certificate also yields its public key.
    return createPublicKey(pem);
  } catch (err) {
    throw new ConfigError(`invalid ODCS settings: oidc_public_key_pem: not a PEM public key or certificate (${(err as Error).message})`);
  }
}

function remoteKeySet(url: string): JWTVerifyGetKey {
  const jwks = createRemoteJWKSet(new URL(url), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000, timeoutDuration: 5_000 });
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (err) {
      // Lookup failures are the token's problem; anything else is the key set's fetch or content.
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JOSENotSupported) {
        throw err;
      }
      throw new KeySetUnavailableError(`the JWKS at ${url} is unavailable: ${(err as Error).message}`);
    }
  };
}

const show = (v: unknown) => JSON.stringify(v) ?? 'none';

/** A jose failure as the error the caller gets, naming what is wrong. */
function verificationError(err: unknown, settings: OdcsSettings): Error {
  if (err instanceof KeySetUnavailableError) {
    return new ServiceUnavailableError(`Cannot verify the OIDC access token: ${err.message}`);
  }
  if (err instanceof errors.JWTExpired) {
    const exp = typeof err.payload.exp === 'number' ? ` at ${new Date(err.payload.exp * 1000).toISOString()}` : '';
    return invalid(`the token expired${exp}`);
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return invalid(`the token has no "${err.claim}" claim`);
    if (err.claim === 'iss') return invalid(`wrong issuer ${show(err.payload.iss)} (expected ${show(settings.oidc_issuer)})`);
    if (err.claim === 'aud') return invalid(`wrong audience ${show(err.payload.aud)} (expected ${show(settings.oidc_audience)})`);
    if (err.claim === 'nbf') return invalid('the token is not valid yet (nbf)');
    return invalid(`claim "${err.claim}" ${err.message}`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return invalid('bad signature: the token is not signed by a trusted key');
  }
  if (err instanceof errors.JWKSNoMatchingKey) {
    return invalid(`bad signature: no key of ${settings.oidc_jwks_url} matches the token's key id and algorithm`);
  }
  if (err instanceof errors.JWKSMultipleMatchingKeys) {
    return invalid('bad signature: no key of the JWKS matching the token verifies it');
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return invalid(`unsupported signing algorithm (${err.message})`);
  }
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) {
    return invalid(`not a well-formed signed JWT (${err.message})`);
  }
  // jose's TypeErrors: e.g. an ES256 token against an RSA key.
  return invalid((err as Error)?.message ?? String(err));
}

function stringList(v: unknown): string[] {
  if (typeof v === 'string') return v.split(/\s+/).filter(Boolean);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && x !== '');
  return [];
}

/** `scope` (RFC 8693 space-separated string) and `scp` (a list, as some providers send). */
export function tokenScopes(payload: JWTPayload): string[] {
  return [...new Set([...stringList(payload.scope), ...stringList(payload.scp)])];
}

function userName(payload: JWTPayload, claim: string | undefined): string {
  const value = claim ? payload[claim] : (payload.preferred_username ?? payload.sub);
  if (typeof value !== 'string' || value.trim() === '') {
    const names = claim ? `"${claim}" claim` : '"preferred_username" or "sub" claim';
    throw invalid(`the token has no ${names} naming the user`);
  }
  return value.trim();
}

export function createOidcAuthenticator(settings: OdcsSettings, opts: { cwd: string }): Authenticator {
  const problems: string[] = [];
  if (!settings.oidc_issuer) problems.push('oidc_issuer is required');
  if (!settings.oidc_audience) problems.push('oidc_audience is required');
  if (!settings.oidc_jwks_url === !settings.oidc_public_key_pem) problems.push('set exactly one of oidc_jwks_url and oidc_public_key_pem');
  if (problems.length) throw new ConfigError(`invalid ODCS settings: auth_backend "openidc": ${problems.join('; ')}`);

  const key: KeyObject | JWTVerifyGetKey = settings.oidc_jwks_url
    ? remoteKeySet(settings.oidc_jwks_url)
    : loadPublicKey(settings.oidc_public_key_pem!, opts.cwd);
  const verifyOptions = {
    issuer: settings.oidc_issuer!,
    audience: settings.oidc_audience!,
    clockTolerance: settings.oidc_clock_tolerance,
    requiredClaims: ['exp'],
  };

  /** Who a token names, once verified (the login round trip's current_user uses it too). */
  async function verify(token: string): Promise<Identity> {
    let payload: JWTPayload;
    try {
      // Two calls only for the overloads: a key and a key-lookup function are typed apart.
      ({ payload } = typeof key === 'function' ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key, verifyOptions));
    } catch (err) {
      throw verificationError(err, settings);
    }
    const scopes = tokenScopes(payload);
    for (const required of settings.auth_openidc_required_scopes) {
      if (!scopes.includes(required)) throw new UnauthorizedError(`Required OIDC scope ${required} not present.`);
    }
    return { name: userName(payload, settings.oidc_username_claim), groups: stringList(payload.groups), scopes };
  }

  return {
    backend: 'openidc',
    settings,
    verify,
    authenticate: (c: Context) => verify(bearerToken(c)),
  };
}
