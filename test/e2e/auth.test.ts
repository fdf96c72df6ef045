// Authentication and authorization (spec Part A "Auth", Part B §4 and the permission cases of §9):
// the openidc backend with a JWKS served over HTTP and, separately, with a PEM file; the header
// backend behind a trusted proxy; and the small API other routes use (requireUser, requireAdmin).
// Every write endpoint (POST create, PATCH renew/extend, DELETE cancel-wait, DELETE remove-done)
// is tried anonymously, with broken tokens, as its owner, as another user and as admins.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import nodeHttp from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Hono } from 'hono';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { ConfigError } from '../../core/config.js';
import { parseSettings } from '../../core/settings.js';
import { adminOnly, authContext, createAuthenticator, requireUser } from '../../api/auth.js';
import { classifyError, jsonError } from '../../api/errors.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

const ISSUER = 'https://id.example.test/openidc';
const AUDIENCE = 'odcs-flow';
const NS = 'https://pagure.io/odcs/';
const ALL_SCOPES = ['openid', `${NS}new-compose`, `${NS}renew-compose`, `${NS}delete-compose`];

interface KeyPair {
  publicKey: CryptoKey;
  privateKey: CryptoKey;
}

let trusted: KeyPair; // the identity provider's key
let stranger: KeyPair; // a key nobody configured
let repos: string;
let jwksServer: nodeHttp.Server;
let jwksUrl: string;
let jwksFetches = 0;

interface TokenOptions {
  user?: string;
  groups?: string[];
  /** Space-separated `scope` claim; null leaves it out. */
  scope?: string[] | null;
  /** `scp` list claim instead. */
  scp?: string[];
  iss?: string;
  aud?: string;
  /** Seconds from now. */
  exp?: number;
  /** Not before: seconds from now (absent by default). */
  nbf?: number;
  key?: CryptoKey;
  kid?: string;
  /** Leave out preferred_username (and `login`): only `sub` names the user. */
  subOnly?: boolean;
}

async function token(o: TokenOptions = {}): Promise<string> {
  const user = o.user ?? 'alice';
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { groups: o.groups ?? [] };
  if (!o.subOnly) Object.assign(claims, { preferred_username: user, login: user });
  if (o.scope !== null) claims.scope = (o.scope ?? ALL_SCOPES).join(' ');
  if (o.scp) claims.scp = o.scp;
  if (o.nbf !== undefined) claims.nbf = now + o.nbf;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? 'k1' })
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? AUDIENCE)
    .setSubject(o.subOnly ? user : `sub-${user}`)
    .setIssuedAt(now - 7200)
    .setExpirationTime(now + (o.exp ?? 600))
    .sign(o.key ?? trusted.privateKey);
}

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

function assertError(res: { status: number; body: any }, status: number, message: string | RegExp, what = '') {
  assert.equal(res.status, status, `${what} ${JSON.stringify(res.body)}`);
  assert.equal(res.body.status, status, what);
  assert.equal(res.body.error, status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : res.body.error, what);
  if (typeof message === 'string') assert.equal(res.body.message, message, what);
  else assert.match(res.body.message, message, what);
}

const tagBody = (extra: Record<string, unknown> = {}) => ({
  source: { type: 'tag', source: 't', packages: ['world'] },
  flags: ['no_reuse'],
  ...extra,
});

/** Settings shared by both openidc stacks: ODCS's roles and a restrictive entry or two. */
function oidcSettings(keys: Record<string, unknown>) {
  return {
    auth_backend: 'openidc',
    oidc_issuer: ISSUER,
    oidc_audience: AUDIENCE,
    auth_openidc_required_scopes: ['openid'],
    ...keys,
    allowed_clients: {
      users: {
        alice: {},
        bob: {},
        dev2: { source_types: ['module', 'raw_config'], compose_types: ['test', 'nightly'] },
        root: { source_types: ['module'] }, // an admin: bypasses this
      },
      groups: { composer: {}, dev2: { source_types: ['module'] } },
    },
    admins: { users: ['root'], groups: ['admin'] },
    tags: { t: { repos: [path.join(repos, 't')] } },
  };
}

before(async () => {
  trusted = await generateKeyPair('RS256');
  stranger = await generateKeyPair('RS256');
  repos = testTmpDir('repos');
  await buildRepo(path.join(repos, 't'), [{ name: 'hello' }, { name: 'world', requires: ['hello'] }]);
  const jwk: JWK = { ...(await exportJWK(trusted.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwksServer = nodeHttp.createServer((req, res) => {
    if (req.url !== '/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    jwksFetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
});

after(async () => {
  await new Promise((resolve) => jwksServer?.close(resolve));
});

/**
 * The whole matrix against one openidc stack. `usernameClaim` is the configured oidc_username_claim
 * (tokens carry it as `login`), or undefined for the default preferred_username-then-sub.
 */
function oidcMatrix(label: string, keys: () => Promise<Record<string, unknown>>, usernameClaim?: string) {
  describe(`openidc with ${label}`, () => {
    let stack: Stack;
    const done: number[] = [];
    const waiting: number[] = [];
    const as = async (user: string, groups: string[] = [], extra: TokenOptions = {}) => bearer(await token({ user, groups, ...extra }));

    before(async () => {
      stack = await startStack({
        env: { REPO_ROOTS: repos },
        settings: { ...oidcSettings(await keys()), ...(usernameClaim ? { oidc_username_claim: usernameClaim } : {}) },
      });
      for (let i = 0; i < 2; i++) {
        const res = await http(stack, 'POST', '/api/1/composes/', tagBody(), await as('alice'));
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.owner, 'alice');
        done.push(res.body.id);
      }
      for (const id of done) assert.equal((await waitForState(stack, id, ['done', 'failed'])).state_name, 'done');
      // From here on nothing is generated: new composes stay in wait, to be canceled.
      await stack.stopWorkers();
      await stack.startWorkers({ generate: false });
      for (let i = 0; i < 3; i++) {
        const res = await http(stack, 'POST', '/api/1/composes/', tagBody(), await as('alice'));
        assert.equal(res.status, 200, JSON.stringify(res.body));
        waiting.push(res.body.id);
      }
    });

    after(async () => {
      await stack?.stop();
    });

    /** Every write endpoint: method, path, body, its scope. */
    const writes = () =>
      [
        ['POST create', 'POST', '/api/1/composes/', tagBody(), 'new-compose'],
        ['PATCH extend', 'PATCH', `/api/1/composes/${done[0]}`, { seconds_to_live: 600 }, 'renew-compose'],
        ['DELETE cancel-wait', 'DELETE', `/api/1/composes/${waiting[0]}`, undefined, 'delete-compose'],
        ['DELETE remove-done', 'DELETE', `/api/1/composes/${done[0]}`, undefined, 'delete-compose'],
      ] as const;

    async function unchanged() {
      assert.equal((await http(stack, 'GET', `/api/1/composes/${waiting[0]}`)).body.state_name, 'wait');
      assert.equal((await http(stack, 'GET', `/api/1/composes/${done[0]}`)).body.state_name, 'done');
    }

    test('GETs stay anonymous; about reports openidc', async () => {
      const about = await http(stack, 'GET', '/api/1/about/');
      assert.equal(about.status, 200);
      assert.equal(about.body.auth_backend, 'openidc');
      assert.equal((await http(stack, 'GET', '/api/1/composes/')).status, 200);
      assert.equal((await http(stack, 'GET', `/api/1/composes/${done[0]}`)).status, 200);
      // A broken token on a GET is not even looked at.
      assert.equal((await http(stack, 'GET', '/api/1/composes/', undefined, bearer('garbage'))).status, 200);
    });

    test('anonymous writes are 401 with the ODCS error body', async () => {
      for (const [what, method, p, body] of writes()) {
        const res = await http(stack, method, p, body);
        assertError(res, 401, 'No OIDC access token: send it as "Authorization: Bearer <token>".', what);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/, what);
        assertError(await http(stack, method, p, body, { Authorization: 'Basic YWxpY2U6eA==' }), 401, /not "Bearer <token>"/, what);
        assertError(await http(stack, method, p, body, bearer('not.a.jwt')), 401, /^Invalid OIDC access token: not a well-formed signed JWT/, what);
      }
      await unchanged();
    });

    test('a token signed by another key is 401 (bad signature)', async () => {
      for (const [what, method, p, body] of writes()) {
        const forged = await token({ user: 'root', key: stranger.privateKey });
        assertError(await http(stack, method, p, body, bearer(forged)), 401, /^Invalid OIDC access token: bad signature/, what);
        if (label === 'a JWKS URL') {
          const unknownKid = await token({ user: 'root', key: stranger.privateKey, kid: 'k2' });
          assertError(await http(stack, method, p, body, bearer(unknownKid)), 401, /^Invalid OIDC access token: bad signature: no key of http/, what);
        }
      }
      await unchanged();
    });

    test('an expired token is 401', async () => {
      for (const [what, method, p, body] of writes()) {
        const expired = await token({ user: 'root', exp: -3600 });
        assertError(await http(stack, method, p, body, bearer(expired)), 401, /^Invalid OIDC access token: the token expired at \d{4}-/, what);
      }
      await unchanged();
    });

    test('nbf and clock skew: 30 s of skew are accepted on nbf and exp, more is 401', async () => {
      const post = async (extra: TokenOptions) => http(stack, 'POST', '/api/1/composes/', tagBody(), await as('alice', [], extra));
      const early = await post({ nbf: 10 });
      assert.equal(early.status, 200, `valid from 10 s ahead: ${JSON.stringify(early.body)}`);
      const late = await post({ exp: -10 });
      assert.equal(late.status, 200, `expired 10 s ago: ${JSON.stringify(late.body)}`);
      assertError(await post({ nbf: 300 }), 401, 'Invalid OIDC access token: the token is not valid yet (nbf).');
      assertError(await post({ exp: -300 }), 401, /^Invalid OIDC access token: the token expired at/);
      assert.equal((await post({ nbf: -60 })).status, 200, 'nbf in the past');
    });

    test('a wrong audience or issuer is 401', async () => {
      for (const [what, method, p, body] of writes()) {
        const aud = await token({ user: 'root', aud: 'someone-else' });
        assertError(
          await http(stack, method, p, body, bearer(aud)),
          401,
          `Invalid OIDC access token: wrong audience "someone-else" (expected "${AUDIENCE}").`,
          what,
        );
        const iss = await token({ user: 'root', iss: 'https://evil.example.test' });
        assertError(
          await http(stack, method, p, body, bearer(iss)),
          401,
          `Invalid OIDC access token: wrong issuer "https://evil.example.test" (expected "${ISSUER}").`,
          what,
        );
      }
      await unchanged();
    });

    test('a missing required scope is 401, a missing per-method scope 403', async () => {
      for (const [what, method, p, body, scope] of writes()) {
        const noOpenid = await token({ user: 'root', scope: ALL_SCOPES.filter((s) => s !== 'openid') });
        assertError(await http(stack, method, p, body, bearer(noOpenid)), 401, 'Required OIDC scope openid not present.', what);
        const noScopes = await token({ user: 'root', scope: null });
        assertError(await http(stack, method, p, body, bearer(noScopes)), 401, 'Required OIDC scope openid not present.', what);
        const noMethodScope = await token({ user: 'root', scope: ALL_SCOPES.filter((s) => s !== NS + scope) });
        assertError(await http(stack, method, p, body, bearer(noMethodScope)), 403, `Request does not have required scope ${scope}`, what);
      }
      await unchanged();
    });

    test('the user claim', async () => {
      if (usernameClaim) {
        // Configured claim: only it names the user.
        const res = await http(stack, 'POST', '/api/1/composes/', tagBody(), bearer(await token({ user: 'alice', subOnly: true })));
        assertError(res, 401, `Invalid OIDC access token: the token has no "${usernameClaim}" claim naming the user.`);
      } else {
        // preferred_username, else sub; scopes also as an `scp` list.
        const res = await http(stack, 'POST', '/api/1/composes/', tagBody(), bearer(await token({ user: 'bob', subOnly: true, scope: null, scp: ALL_SCOPES })));
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.owner, 'bob');
      }
    });

    test('POST: allowed clients, per-attribute permissions, admins by user and by group', async () => {
      const alice = await http(stack, 'POST', '/api/1/composes/', tagBody(), await as('alice'));
      assert.equal(alice.status, 200, JSON.stringify(alice.body));
      assert.equal(alice.body.owner, 'alice');
      assertError(await http(stack, 'POST', '/api/1/composes/', tagBody(), await as('eve')), 403, 'User eve is not in role allowed_clients.');
      assertError(
        await http(stack, 'POST', '/api/1/composes/', tagBody(), await as('dev2')),
        403,
        'User dev2 not allowed to operate with compose with source_types=tag.',
      );
      const composer = await http(stack, 'POST', '/api/1/composes/', tagBody(), await as('gary', ['composer']));
      assert.equal(composer.status, 200, JSON.stringify(composer.body));
      assert.equal(composer.body.owner, 'gary');
      // root's own entry allows modules only, the admin group member's group only modules: admins bypass.
      const root = await http(stack, 'POST', '/api/1/composes/', tagBody(), await as('root'));
      assert.equal(root.status, 200, JSON.stringify(root.body));
      assert.equal(root.body.owner, 'root');
      const ada = await http(stack, 'POST', '/api/1/composes/', tagBody(), await as('ada', ['admin', 'dev2']));
      assert.equal(ada.status, 200, JSON.stringify(ada.body));
      assert.equal(ada.body.owner, 'ada');
      // An admin group member outside allowed_clients is still refused by the role (ODCS's requires_role).
      assertError(await http(stack, 'POST', '/api/1/composes/', tagBody(), await as('zed', ['admin'])), 403, 'User zed is not in role allowed_clients.');
    });

    test('PATCH extend: any allowed client within its permissions, admins by user and by group', async () => {
      const id = done[0];
      for (const [user, groups] of [['alice', []], ['bob', []], ['root', []], ['ada', ['admin', 'dev2']]] as const) {
        const res = await http(stack, 'PATCH', `/api/1/composes/${id}`, { seconds_to_live: 3600 }, await as(user, [...groups]));
        assert.equal(res.status, 200, `${user}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.id, id, user);
        assert.equal(res.body.owner, 'alice', user);
      }
      assertError(await http(stack, 'PATCH', `/api/1/composes/${id}`, { seconds_to_live: 3600 }, await as('eve')), 403, 'User eve is not in role allowed_clients.');
      assertError(
        await http(stack, 'PATCH', `/api/1/composes/${id}`, { seconds_to_live: 3600 }, await as('dev2')),
        403,
        'User dev2 not allowed to operate with compose with source_types=tag.',
      );
    });

    test('DELETE cancel-wait: the owner and admins (by user, by group); nobody else', async () => {
      const [mine, forRoot, forAda] = waiting;
      const literal = "Compose (id=%s) can not be canceled, it's owned by someone else.";
      assertError(await http(stack, 'DELETE', `/api/1/composes/${mine}`, undefined, await as('bob')), 403, literal);
      assertError(await http(stack, 'DELETE', `/api/1/composes/${mine}`, undefined, await as('eve', ['composer'])), 403, literal);
      for (const [id, user, groups] of [[mine, 'alice', []], [forRoot, 'root', []], [forAda, 'ada', ['admin']]] as const) {
        const res = await http(stack, 'DELETE', `/api/1/composes/${id}`, undefined, await as(user, [...groups]));
        assert.equal(res.status, 202, `${user}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.message, `Compose (id=${id}) has been canceled`);
        const row = (await http(stack, 'GET', `/api/1/composes/${id}`)).body;
        assert.equal(row.state_name, 'failed');
        assert.equal(row.state_reason, `Canceled by ${user}`);
      }
    });

    test('DELETE remove-done: admins only (by user, by group); the owner is refused', async () => {
      const [first, second] = done;
      assertError(await http(stack, 'DELETE', `/api/1/composes/${first}`, undefined, await as('alice')), 403, 'User alice is not in role admins.');
      assertError(await http(stack, 'DELETE', `/api/1/composes/${first}`, undefined, await as('bob', ['composer'])), 403, 'User bob is not in role admins.');
      for (const [id, user, groups] of [[first, 'root', []], [second, 'ada', ['admin']]] as const) {
        const res = await http(stack, 'DELETE', `/api/1/composes/${id}`, undefined, await as(user, [...groups]));
        assert.equal(res.status, 202, `${user}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.message, `The delete request for compose (id=${id}) has been accepted and will be processed by backend later.`);
      }
      const removed = await waitForState(stack, first, ['removed']);
      assert.match(removed.state_reason, /Removed by root\.$/);
    });

    test('PATCH renew of a removed compose: the copy belongs to the caller', async () => {
      const res = await http(stack, 'PATCH', `/api/1/composes/${done[0]}`, { seconds_to_live: 600 }, await as('bob'));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.notEqual(res.body.id, done[0]);
      assert.equal(res.body.owner, 'bob');
      assert.equal(res.body.state_name, 'wait');
    });

    if (label === 'a JWKS URL') {
      test('the JWKS is fetched once and cached, not per request', () => {
        assert.ok(jwksFetches >= 1 && jwksFetches <= 3, `fetched ${jwksFetches} times`);
      });
    }
  });
}

oidcMatrix('a JWKS URL', async () => ({ oidc_jwks_url: jwksUrl }));
oidcMatrix(
  'a PEM file and oidc_username_claim',
  async () => {
    const file = path.join(testTmpDir('pem'), 'idp.pem');
    fs.writeFileSync(file, await exportSPKI(trusted.publicKey));
    return { oidc_public_key_pem: file };
  },
  'login',
);

/** A request from a chosen local address, so the server sees another TCP peer. */
function httpFrom(
  stack: Stack,
  localAddress: string,
  method: string,
  urlPath: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const url = new URL(stack.baseUrl + urlPath);
  return new Promise((resolve, reject) => {
    const req = nodeHttp.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, localAddress },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

describe('header backend behind a trusted proxy (Part B §9 permission cases)', () => {
  let stack: Stack;
  const as = (user: string, groups: string[] = []) => ({ 'X-Remote-User': user, ...(groups.length ? { 'X-Remote-Groups': groups.join(', ') } : {}) });
  const post = (body: unknown, headers: Record<string, string>) => http(stack, 'POST', '/api/1/composes/', body, headers);

  before(async () => {
    const privateDir = path.join(repos, 'private');
    fs.mkdirSync(privateDir, { recursive: true });
    stack = await startStack({
      env: { REPO_ROOTS: repos },
      settings: {
        auth_backend: 'header',
        trusted_proxies: ['127.0.0.1', '10.0.0.0/8'], // the test server sees 127.0.0.1; 127.0.0.2 is a stranger
        allowed_source_types: ['tag', 'build', 'repo'],
        extra_target_dirs: { 'releng-private': privateDir },
        allowed_clients: {
          groups: { composer: {}, dev2: { source_types: ['module'] }, dev3: { source_types: ['raw_config'] } },
          users: {
            dev: { arches: ['ppc64', 's390', 'x86_64'] },
            dev2: { source_types: ['module', 'raw_config'], compose_types: ['test', 'nightly'] },
            dev3: { source_types: ['tag'], target_dirs: ['releng-private'] },
            dev4: { source_types: ['raw_config'], raw_config_keys: ['pungi_cfg2'] },
          },
        },
        admins: { groups: ['admin'], users: ['root'] },
        tags: { t: { repos: [path.join(repos, 't')] } },
      },
    });
  });

  after(async () => {
    await stack?.stop();
  });

  test('about reports header; GETs stay anonymous', async () => {
    assert.equal((await http(stack, 'GET', '/api/1/about/')).body.auth_backend, 'header');
    assert.equal((await httpFrom(stack, '127.0.0.2', 'GET', '/api/1/composes/')).status, 200);
  });

  test('a trusted peer names the user; an untrusted peer is 401 whatever it claims', async () => {
    const ok = await post(tagBody(), as('dev3'));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.owner, 'dev3');
    for (const [method, p, body] of [
      ['POST', '/api/1/composes/', tagBody()],
      ['PATCH', `/api/1/composes/${ok.body.id}`, { seconds_to_live: 60 }],
      ['DELETE', `/api/1/composes/${ok.body.id}`, undefined],
    ] as const) {
      const res = await httpFrom(stack, '127.0.0.2', method, p, body, as('root', ['admin']));
      assertError(res, 401, 'The request did not come through a trusted authenticating proxy (peer 127.0.0.2 is not in trusted_proxies).', method);
    }
    assertError(await post(tagBody(), {}), 401, 'No X-Remote-User header: the authenticating proxy did not name the user.');
    assertError(await post(tagBody(), { 'X-Remote-Groups': 'admin' }), 401, /^No X-Remote-User header/);
  });

  test('POST permissions: users, groups, the user entry winning', async () => {
    assertError(await post(tagBody(), as('dev2')), 403, 'User dev2 not allowed to operate with compose with source_types=tag.');
    assertError(await post(tagBody(), as('qa')), 403, 'User qa is not in role allowed_clients.');
    const composer = await post(tagBody(), as('someone', ['composer']));
    assert.equal(composer.status, 200, JSON.stringify(composer.body));
    assert.equal(composer.body.owner, 'someone');
    const moduleBody = { source: { type: 'module', source: 'testmodule:master' } };
    const multiModule = await post(moduleBody, as('multi', ['dev3', 'dev2']));
    assert.equal(multiModule.status, 200, JSON.stringify(multiModule.body));
    assertError(await post(tagBody(), as('multi', ['dev3', 'dev2'])), 403, 'User multi not allowed to operate with compose with source_types=tag.');
    assertError(await post(moduleBody, as('dev3', ['dev2'])), 403, 'User dev3 not allowed to operate with compose with source_types=module.');
    assertError(
      await post(tagBody({ target_dir: 'releng-private' }), as('dev')),
      403,
      'User dev not allowed to operate with compose with target_dirs=releng-private.',
    );
    const dev3 = await post(tagBody({ target_dir: 'releng-private' }), as('dev3'));
    assert.equal(dev3.status, 200, JSON.stringify(dev3.body));
    assert.equal(dev3.body.target_dir, 'releng-private');
    const devArch = await post(tagBody({ arches: ['ppc64'] }), as('dev'));
    assert.equal(devArch.status, 200, JSON.stringify(devArch.body));
    assertError(await post(tagBody({ arches: ['ppc64'] }), as('someone', ['composer'])), 403, 'User someone not allowed to operate with compose with arches=ppc64.');
    const rootTag = await post(tagBody(), as('root', ['composer']));
    assert.equal(rootTag.status, 200, JSON.stringify(rootTag.body));
  });

  test('DELETE: owners cancel their waiting composes, admins remove done ones', async () => {
    const made = await post(tagBody(), as('dev3'));
    assert.equal(made.status, 200, JSON.stringify(made.body));
    assert.equal((await waitForState(stack, made.body.id, ['done', 'failed'])).state_name, 'done');
    assertError(await http(stack, 'DELETE', `/api/1/composes/${made.body.id}`, undefined, as('dev')), 403, 'User dev is not in role admins.');
    assertError(await http(stack, 'DELETE', `/api/1/composes/${made.body.id}`, undefined, as('dev3')), 403, 'User dev3 is not in role admins.');
    const admin = await http(stack, 'DELETE', `/api/1/composes/${made.body.id}`, undefined, as('carol', ['admin']));
    assert.equal(admin.status, 202, JSON.stringify(admin.body));

    await stack.stopWorkers();
    await stack.startWorkers({ generate: false });
    try {
      const waiting = await post(tagBody(), as('dev3'));
      assert.equal(waiting.status, 200);
      assertError(
        await http(stack, 'DELETE', `/api/1/composes/${waiting.body.id}`, undefined, as('dev')),
        403,
        "Compose (id=%s) can not be canceled, it's owned by someone else.",
      );
      const own = await http(stack, 'DELETE', `/api/1/composes/${waiting.body.id}`, undefined, as('dev3'));
      assert.equal(own.status, 202, JSON.stringify(own.body));
      assert.equal((await http(stack, 'GET', `/api/1/composes/${waiting.body.id}`)).body.state_reason, 'Canceled by dev3');
    } finally {
      await stack.stopWorkers();
      await stack.startWorkers();
    }
  });
});

describe('the auth API for other routes, and configuration errors', () => {
  /** A provider-cache-like app: an anonymous GET, a user POST and an admin-only POST. */
  function miniApp(settings: Record<string, unknown>) {
    const app = new Hono();
    app.use(authContext(createAuthenticator(parseSettings(settings))));
    app.get('/caches', (c) => c.json({ ok: true }));
    app.post('/whoami', async (c) => c.json(await requireUser(c)));
    app.post('/refresh', adminOnly, (c) => c.json({ by: c.get('user').name }));
    app.onError((err, c) => {
      const { status, message } = classifyError(err);
      return jsonError(c, status, message);
    });
    return app;
  }
  const call = async (app: Hono, method: string, p: string, headers: Record<string, string> = {}) => {
    const res = await app.request(p, { method, headers });
    return { status: res.status, body: (await res.json()) as any };
  };

  test('requireUser / adminOnly with a PEM given as text', async () => {
    const app = miniApp({
      auth_backend: 'openidc',
      oidc_issuer: ISSUER,
      oidc_audience: [AUDIENCE, 'other'],
      oidc_public_key_pem: await exportSPKI(trusted.publicKey),
      admins: { groups: ['admin'] },
    });
    assert.equal((await call(app, 'GET', '/caches')).status, 200);
    assertError(await call(app, 'POST', '/refresh'), 401, /^No OIDC access token/);
    const who = await call(app, 'POST', '/whoami', bearer(await token({ user: 'bob', groups: ['g1', 'g2'] })));
    assert.deepEqual(who.body, { name: 'bob', groups: ['g1', 'g2'], scopes: ALL_SCOPES });
    assertError(await call(app, 'POST', '/refresh', bearer(await token({ user: 'bob' }))), 403, 'User bob is not in role admins.');
    const admin = await call(app, 'POST', '/refresh', bearer(await token({ user: 'ada', groups: ['admin'] })));
    assert.deepEqual(admin, { status: 200, body: { by: 'ada' } });
  });

  test('oidc_clock_tolerance sets the skew accepted on nbf and exp', async () => {
    const pem = await exportSPKI(trusted.publicKey);
    const app = (tolerance: number) =>
      miniApp({ auth_backend: 'openidc', oidc_issuer: ISSUER, oidc_audience: AUDIENCE, oidc_public_key_pem: pem, oidc_clock_tolerance: tolerance });
    const strict = app(0);
    assertError(await call(strict, 'POST', '/whoami', bearer(await token({ nbf: 10 }))), 401, 'Invalid OIDC access token: the token is not valid yet (nbf).');
    assertError(await call(strict, 'POST', '/whoami', bearer(await token({ exp: -10 }))), 401, /^Invalid OIDC access token: the token expired at/);
    assert.equal((await call(strict, 'POST', '/whoami', bearer(await token({ nbf: -1 })))).status, 200);
    const lenient = app(600);
    assert.equal((await call(lenient, 'POST', '/whoami', bearer(await token({ nbf: 300 })))).status, 200);
    assert.equal((await call(lenient, 'POST', '/whoami', bearer(await token({ exp: -300 })))).status, 200);
    assertError(await call(lenient, 'POST', '/whoami', bearer(await token({ nbf: 900 }))), 401, 'Invalid OIDC access token: the token is not valid yet (nbf).');
  });

  test('an unreachable JWKS is a 503 naming it, not a 401', async () => {
    const closed = nodeHttp.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks.json`;
    await new Promise((resolve) => closed.close(resolve));
    const app = miniApp({ auth_backend: 'openidc', oidc_issuer: ISSUER, oidc_audience: AUDIENCE, oidc_jwks_url: url });
    const res = await call(app, 'POST', '/whoami', bearer(await token()));
    assertError(res, 503, new RegExp(`^Cannot verify the OIDC access token: the JWKS at ${url.replaceAll('.', '\\.')} is unavailable`));
  });

  test('header backend off a socket (app.request) trusts nobody', async () => {
    const app = miniApp({ auth_backend: 'header', trusted_proxies: ['127.0.0.1'] });
    assertError(await call(app, 'POST', '/whoami', { 'X-Remote-User': 'root' }), 401, /peer unknown is not in trusted_proxies/);
  });

  test('noauth: everyone is "unknown" and every role holds', async () => {
    const app = miniApp({});
    assert.deepEqual((await call(app, 'POST', '/refresh')).body, { by: 'unknown' });
  });

  test('a backend without its settings does not start', () => {
    assert.throws(
      () => createAuthenticator(parseSettings({ auth_backend: 'openidc' })),
      (e: unknown) =>
        e instanceof ConfigError &&
        /oidc_issuer is required; oidc_audience is required; set exactly one of oidc_jwks_url and oidc_public_key_pem/.test(e.message),
    );
    assert.throws(
      () => createAuthenticator(parseSettings({ auth_backend: 'openidc', oidc_issuer: ISSUER, oidc_audience: 'a', oidc_public_key_pem: '/nonexistent/key.pem' })),
      (e: unknown) => e instanceof ConfigError && /oidc_public_key_pem: cannot read \/nonexistent\/key\.pem/.test(e.message),
    );
    assert.throws(
      () => createAuthenticator(parseSettings({ auth_backend: 'openidc', oidc_issuer: ISSUER, oidc_audience: 'a', oidc_public_key_pem: '-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----\n' })),
      (e: unknown) => e instanceof ConfigError && /not a PEM public key/.test(e.message),
    );
    assert.throws(() => createAuthenticator(parseSettings({ auth_backend: 'header' })), (e: unknown) => e instanceof ConfigError && /needs trusted_proxies/.test(e.message));
    assert.throws(() => parseSettings({ auth_backend: 'header', trusted_proxies: ['10.0.0.0/33'] }), /trusted_proxies/);
    assert.throws(() => parseSettings({ auth_backend: 'header', trusted_proxies: ['proxy.example'] }), /trusted_proxies/);
  });
});
