import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseNewComposeRequest } from '../../core/compose-request.js';
import { checkPermissions, hasRole, isAdmin, requireAllowedClient, type RequestUser } from '../../core/permissions.js';
import { decodeJsonBody, validateJsonData } from '../../core/request-body.js';
import { BadRequestError, ForbiddenError, ValueError, errorBody, pyRepr } from '../../core/errors.js';
import { classifyError } from '../../api/errors.js';
import { parseSettings, type OdcsSettings } from '../../core/settings.js';

// The fixture of ODCS's server/tests/test_views.py (spec Part B §9), with ODCS's own
// allowed_source_types default so the permission cases behave as upstream.
function odcsTestSettings(overrides: Record<string, unknown> = {}): OdcsSettings {
  return parseSettings({
    auth_backend: 'openidc',
    allowed_source_types: ['tag', 'module', 'build'],
    allowed_clients: {
      groups: {
        composer: {},
        dev2: { source_types: ['module'] },
        dev3: { source_types: ['raw_config'] },
      },
      users: {
        dev: { arches: ['ppc64', 's390', 'x86_64'] },
        dev2: { source_types: ['module', 'raw_config'], compose_types: ['test', 'nightly'] },
        dev3: { source_types: ['tag'], target_dirs: ['releng-private'] },
        dev4: { source_types: ['raw_config'], raw_config_keys: ['pungi_cfg2'] },
      },
    },
    admins: { groups: ['admin'], users: ['root'] },
    ...overrides,
  });
}

const user = (name: string, groups: string[] = []): RequestUser => ({ name, groups });

/** What the API does for POST: role first, then body, then permissions. */
function post(body: unknown, who: RequestUser, settings = odcsTestSettings()) {
  requireAllowedClient(who, settings);
  const input = parseNewComposeRequest(body, settings);
  checkPermissions(input, who, settings, isAdmin(who, settings));
  return input;
}

function throwsWith(fn: () => unknown, type: new (...a: never[]) => Error, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    assert.equal((e as Error).message, message);
    return true;
  });
}

describe('parseNewComposeRequest: accepted bodies', () => {
  it('module testmodule:master as dev gives ODCS defaults', () => {
    const input = post({ source: { type: 'module', source: 'testmodule:master' } }, user('dev'));
    assert.deepEqual(input, {
      source_type: 2,
      source: 'testmodule:master',
      packages: null,
      builds: null,
      flags: 0,
      results: 1,
      arches: 'x86_64',
      sigkeys: '',
      koji_event: null,
      lookaside_repos: '',
      multilib_arches: '',
      multilib_method: 0,
      modular_koji_tags: null,
      module_defaults_url: null,
      scratch_modules: null,
      scratch_build_tasks: null,
      modules: null,
      parent_pungi_compose_ids: null,
      respin_of: null,
      label: null,
      compose_type: 'test',
      target_dir: 'default',
      base_module_br_name: null,
      base_module_br_stream: null,
      base_module_br_stream_version_lte: null,
      base_module_br_stream_version_gte: null,
      seconds_to_live: 86400,
    });
  });

  it('results boot.iso keeps repository', () => {
    const input = post({ source: { type: 'tag', source: 'f26' }, results: ['boot.iso'] }, user('dev'));
    assert.equal(input.results, 1 | 8);
  });

  it('flags are OR-ed; no_flags is accepted as 0', () => {
    const input = post({ source: { type: 'tag', source: 'f26' }, flags: ['no_deps', 'no_inheritance', 'no_flags'] }, user('dev'));
    assert.equal(input.flags, 3);
  });

  it('default sigkeys come from settings, space-joined', () => {
    const settings = odcsTestSettings({ sigkeys: ['x', 'y'] });
    assert.equal(post({ source: { type: 'tag', source: 'f26' } }, user('dev'), settings).sigkeys, 'x y');
    assert.equal(post({ source: { type: 'tag', source: 'f26', sigkeys: [] } }, user('dev'), settings).sigkeys, '');
  });

  it('build with no source is allowed', () => {
    const input = post({ source: { type: 'build', packages: ['ed'], builds: ['foo-1-1', 'bar-1-1'] } }, user('dev'));
    assert.equal(input.source_type, 6);
    assert.equal(input.source, '');
    assert.equal(input.builds, 'foo-1-1 bar-1-1');
    assert.equal(input.packages, 'ed');
  });

  it('module defaults url + commit are stored as "url commit"', () => {
    const input = post(
      { source: { type: 'tag', source: 'f26', module_defaults_url: 'git://localhost.tld/x.git', module_defaults_commit: 'master' } },
      user('dev'),
    );
    assert.equal(input.module_defaults_url, 'git://localhost.tld/x.git master');
  });

  it('duplicate sources are removed (sorted)', () => {
    const input = post({ source: { type: 'module', source: 'foo:y foo:x  foo:x' } }, user('dev'));
    assert.equal(input.source, 'foo:x foo:y');
  });

  it('empty module source is allowed with scratch_modules', () => {
    const input = post(
      { source: { type: 'module', source: '', scratch_modules: ['foo:bar:20200806:abcdefgh', 'fooo:bar:20200810:abcdefgh'] } },
      user('dev'),
    );
    assert.equal(input.source, '');
    assert.equal(input.scratch_modules, 'foo:bar:20200806:abcdefgh fooo:bar:20200810:abcdefgh');
  });

  it('multilib_method runtime+devel is 3', () => {
    const input = post({ source: { type: 'tag', source: 'f26' }, multilib_method: ['runtime', 'devel'] }, user('dev'));
    assert.equal(input.multilib_method, 3);
  });

  it('list fields are space-joined and scalar fields copied', () => {
    const input = post(
      {
        source: {
          type: 'tag',
          source: 'f26',
          packages: ['gcc-g++'],
          koji_event: 123,
          modular_koji_tags: ['a', 'b'],
          scratch_build_tasks: ['123456', '123457'],
          modules: ['foo:bar:1:c'],
          base_module_br_name: 'platform',
          base_module_br_stream: 'f30',
          base_module_br_stream_version_lte: 300000,
          base_module_br_stream_version_gte: 290000,
          unknown_key: 'ignored',
        },
        arches: ['x86_64', 'ppc64'],
        multilib_arches: ['i686'],
        lookaside_repos: ['http://x/repo'],
        parent_pungi_compose_ids: ['Fedora-1-1', 'Fedora-2-2'],
        respin_of: 'Fedora-1-1',
        label: 'Beta-1.2',
        compose_type: 'nightly',
        whatever: 1,
      },
      user('dev'),
    );
    assert.equal(input.packages, 'gcc-g++');
    assert.equal(input.koji_event, 123);
    assert.equal(input.modular_koji_tags, 'a b');
    assert.equal(input.scratch_build_tasks, '123456 123457');
    assert.equal(input.modules, 'foo:bar:1:c');
    assert.equal(input.arches, 'x86_64 ppc64');
    assert.equal(input.multilib_arches, 'i686');
    assert.equal(input.lookaside_repos, 'http://x/repo');
    assert.equal(input.parent_pungi_compose_ids, 'Fedora-1-1 Fedora-2-2');
    assert.equal(input.respin_of, 'Fedora-1-1');
    assert.equal(input.label, 'Beta-1.2');
    assert.equal(input.compose_type, 'nightly');
    assert.equal(input.base_module_br_name, 'platform');
    assert.equal(input.base_module_br_stream_version_lte, 300000);
    assert.equal(input.base_module_br_stream_version_gte, 290000);
  });

  it('target_dir: a known extra key is stored as the key; "default" and "" are default', () => {
    const settings = odcsTestSettings({ extra_target_dirs: { 'releng-private': '/tmp/private' } });
    const input = post({ source: { type: 'tag', source: 'f26' }, target_dir: 'releng-private' }, user('dev3'), settings);
    assert.equal(input.target_dir, 'releng-private');
    assert.equal(post({ source: { type: 'tag', source: 'f26' }, target_dir: 'default' }, user('dev'), settings).target_dir, 'default');
    assert.equal(post({ source: { type: 'tag', source: 'f26' }, target_dir: '' }, user('dev'), settings).target_dir, 'default');
  });

  it('repo type passes through when allowed', () => {
    const settings = odcsTestSettings({ allowed_source_types: ['tag', 'repo'] });
    const input = post({ source: { type: 'repo', source: '/srv/repo' } }, user('dev'), settings);
    assert.equal(input.source_type, 3);
    assert.equal(input.source, '/srv/repo');
  });
});

describe('parseNewComposeRequest: semantic errors (exact messages)', () => {
  const s = odcsTestSettings();
  const parse = (body: unknown, settings = s) => () => parseNewComposeRequest(body, settings);

  it('1. empty body', () => {
    throwsWith(parse({}), ValueError, 'No JSON POST data submitted');
    throwsWith(parse(null), ValueError, 'No JSON POST data submitted');
  });

  it('2. source not a dict, with the python repr of the body', () => {
    throwsWith(
      parse({ source: 'f26', flags: ['no_deps'], x: true, y: 1 }),
      ValueError,
      "Invalid source configuration provided: {'source': 'f26', 'flags': ['no_deps'], 'x': True, 'y': 1}",
    );
    throwsWith(parse({ label: 'x' }), ValueError, "Invalid source configuration provided: {'label': 'x'}");
  });

  it('3. missing type', () => {
    throwsWith(parse({ source: { source: 'f26' } }), ValueError, "Missing type in source configuration, received: {'source': 'f26'}");
  });

  it('4. unknown type', () => {
    throwsWith(parse({ source: { type: 'unknown', source: '/path' } }), ValueError, 'Unknown source type "unknown"');
  });

  it('5. no source', () => {
    throwsWith(parse({ source: { type: 'tag' } }), ValueError, 'No source provided for 1');
    throwsWith(parse({ source: { type: 'module', source: '' } }), ValueError, 'No source provided for 2');
    throwsWith(parse({ source: { type: 'module', source: '', scratch_modules: [] } }), ValueError, 'No source provided for 2');
  });

  it('6. raw_config source format and existence', () => {
    const settings = odcsTestSettings({ raw_config_urls: { pungi_cfg: { url: 'http://localhost/pungi.git', config_filename: 'pungi.conf' } } });
    throwsWith(parse({ source: { type: 'raw_config', source: 'a#b c' } }, settings), ValueError, 'Only single source is allowed for "raw_config" source_type');
    const format = 'Source must be in "source_name#commit_hash" format for "raw_config" source_type.';
    for (const bad of ['pungi_cfg', 'pungi_cfg#', '#hash', '#', 'a#b#c']) {
      throwsWith(parse({ source: { type: 'raw_config', source: bad } }, settings), ValueError, format);
    }
    throwsWith(parse({ source: { type: 'raw_config', source: 'nope#hash' } }, settings), ValueError, 'Source "nope" does not exist in server configuration.');
    assert.equal(parseNewComposeRequest({ source: { type: 'raw_config', source: 'pungi_cfg#hash' } }, settings).source, 'pungi_cfg#hash');
  });

  it('7. module format and base modules', () => {
    throwsWith(parse({ source: { type: 'module', source: 'testmodule:master x' } }), ValueError, 'Module definition must be in "n:s", "n:s:v" or "n:s:v:c" format, but got x');
    throwsWith(parse({ source: { type: 'module', source: 'testmodule:master platform:x' } }), ValueError, 'ODCS currently cannot create compose with base modules, but platform was requested.');
  });

  it('8. unknown flag / result keep the tuple repr quirk; unknown multilib method', () => {
    throwsWith(parse({ source: { type: 'tag', source: 'f26' }, flags: ['foo'] }), ValueError, "('Unknown flag %s', 'foo')");
    throwsWith(parse({ source: { type: 'tag', source: 'f26' }, flags: [5] }), ValueError, "('Unknown flag %s', 5)");
    throwsWith(parse({ source: { type: 'tag', source: 'f26' }, results: ['foo'] }), ValueError, "('Unknown result %s', 'foo')");
    throwsWith(parse({ source: { type: 'tag', source: 'f26' }, multilib_method: ['foo'] }), ValueError, 'Unknown multilib method "foo"');
  });

  it('9. module defaults url without commit', () => {
    throwsWith(
      parse({ source: { type: 'tag', source: 'f26', module_defaults_url: 'git://localhost.tld/x.git' } }),
      ValueError,
      'The "module_defaults_url" and "module_defaults_commit" must be used together.',
    );
    throwsWith(
      parse({ source: { type: 'tag', source: 'f26', module_defaults_commit: 'master' } }),
      ValueError,
      'The "module_defaults_url" and "module_defaults_commit" must be used together.',
    );
  });

  it('10. unknown target_dir', () => {
    throwsWith(parse({ source: { type: 'tag', source: 'f26' }, target_dir: 'foo' }), ValueError, 'Unknown "target_dir" "foo"');
  });

  it('non-object JSON body is a 400', () => {
    assert.throws(parse('abc'), BadRequestError);
    assert.throws(parse([1]), BadRequestError);
  });
});

describe('validateJsonData: structural checks', () => {
  const check = (data: Record<string, unknown>) => () => validateJsonData(data);

  it('list keys, string keys and int keys at any depth', () => {
    throwsWith(check({ source: { builds: 'kernel-4.0-1.el8' } }), ValueError, 'builds should be a list');
    throwsWith(check({ multilib_method: 'runtime' }), ValueError, 'multilib_method should be a list');
    throwsWith(check({ source: { compose_type: 123 } }), ValueError, 'compose_type should be a string');
    throwsWith(check({ label: null }), ValueError, 'label should be a string');
    throwsWith(check({ source: { type: 2 } }), ValueError, 'type should be a string');
    throwsWith(check({ source: { koji_event: 'abc' } }), ValueError, 'koji_event should be an integer');
    throwsWith(check({ seconds_to_live: '600s' }), ValueError, 'seconds_to_live should be an integer');
    throwsWith(check({ seconds_to_live: 1.5 }), ValueError, 'seconds_to_live should be an integer');
    validateJsonData({ seconds_to_live: true }); // bool is an int in Python
  });

  it('dicts only under top-level source', () => {
    validateJsonData({ source: { source: '' } });
    throwsWith(check({ source: { source: { k: 'v' } } }), ValueError, "Only 'source' key is allowed to contain dict.");
    throwsWith(check({ source2: { source: 'x' } }), ValueError, "Only 'source' key is allowed to contain dict.");
    throwsWith(check({ flags: [{}] }), ValueError, "Only 'source' key is allowed to contain dict.");
  });

  it('string whitelist, packages exempt', () => {
    const msg =
      "Only alphanumerical characters and [' ', '-', '/', '_', '.', ':', '#', '+', '?', '$', '~', '^'] characters are allowed in ODCS input variables";
    for (const ch of ['\n', '{', '}', "'", '"', ';', '&']) {
      throwsWith(check({ source: [`${ch}1`, '2'] }), ValueError, msg);
      throwsWith(check({ source: { x: `${ch}1` } }), ValueError, msg);
    }
    validateJsonData({ packages: ['gcc-g++', 'weird{name}'] });
    validateJsonData({ source: { source: 'ok-chars/_.:#+?$~^ é' } });
    validateJsonData({ source: { x: 1, y: 1.5, z: false } });
  });

  it('null elsewhere is an unsupported type', () => {
    throwsWith(
      check({ respin_of: null }),
      ValueError,
      "Only dict, list, str, unicode, int, float and bool types are allowed in ODCS input variables, but 'respin_of' has '<class 'NoneType'>' type",
    );
    throwsWith(
      check({ arches: [null] }),
      ValueError,
      "Only dict, list, str, unicode, int, float and bool types are allowed in ODCS input variables, but '0' has '<class 'NoneType'>' type",
    );
  });

  it('structural errors come before semantic ones', () => {
    throwsWith(() => parseNewComposeRequest({ source: { type: 'nope', builds: 'x' } }, odcsTestSettings()), ValueError, 'builds should be a list');
  });
});

describe('TTL', () => {
  const s = odcsTestSettings();
  const ttl = (extra: Record<string, unknown>) =>
    parseNewComposeRequest({ source: { type: 'module', source: 'testmodule:master' }, ...extra }, s).seconds_to_live;

  it('12 h is kept, 7 days capped at 3 days, none gives 24 h, for both spellings', () => {
    for (const key of ['seconds_to_live', 'seconds-to-live']) {
      assert.equal(ttl({ [key]: 12 * 3600 }), 12 * 3600);
      assert.equal(ttl({ [key]: 7 * 86400 }), 3 * 86400);
    }
    assert.equal(ttl({}), 86400);
    assert.equal(ttl({ seconds_to_live: 0 }), 86400);
  });

  it('legacy spelling goes through int(): numeric strings work, negatives are not rejected', () => {
    assert.equal(ttl({ 'seconds-to-live': '600' }), 600);
    assert.equal(ttl({ seconds_to_live: -5 }), -5);
    assert.equal(ttl({ seconds_to_live: 0, 'seconds-to-live': 600 }), 86400); // 0 is not None: no fallback
  });

  it('an unconvertible value quotes the whole request, as ODCS does', () => {
    throwsWith(
      () => parseNewComposeRequest({ 'seconds-to-live': '600s', source: { type: 'tag', source: 'f26' } }, s),
      ValueError,
      "Invalid seconds_to_live specified in request: {'seconds-to-live': '600s', 'source': {'type': 'tag', 'source': 'f26'}}",
    );
  });
});

describe('permissions (Part B §4, test_views.py cases)', () => {
  const s = odcsTestSettings({
    extra_target_dirs: { 'releng-private': '/tmp/private' },
    raw_config_urls: {
      pungi_cfg: { url: 'http://localhost/a.git', config_filename: 'pungi.conf' },
      pungi_cfg2: { url: 'http://localhost/b.git', config_filename: 'pungi.conf' },
    },
  });
  const tag = { source: { type: 'tag', source: 'f26' } };
  const module = { source: { type: 'module', source: 'testmodule:rawhide' } };

  it('target_dir releng-private: dev → 403, dev3 → ok', () => {
    throwsWith(() => post({ ...tag, target_dir: 'releng-private' }, user('dev'), s), ForbiddenError, 'User dev not allowed to operate with compose with target_dirs=releng-private.');
    post({ ...tag, target_dir: 'releng-private' }, user('dev3'), s);
  });

  it('repo as dev → 403', () => {
    throwsWith(() => post({ source: { type: 'repo', source: '/path' } }, user('dev'), s), ForbiddenError, 'User dev not allowed to operate with compose with source_types=repo.');
  });

  it('dev2: module ok, tag refused', () => {
    post({ source: { type: 'module', source: 'testmodule:master' } }, user('dev2'), s);
    throwsWith(() => post({ source: { type: 'tag', source: '/path', packages: ['foo'] } }, user('dev2'), s), ForbiddenError, 'User dev2 not allowed to operate with compose with source_types=tag.');
  });

  it('dev2 validation errors still come first', () => {
    throwsWith(() => post({ source: { type: 'module', source: 'x' } }, user('dev2'), s), ValueError, 'Module definition must be in "n:s", "n:s:v" or "n:s:v:c" format, but got x');
  });

  it('qa is not an allowed client', () => {
    throwsWith(() => post(module, user('qa'), s), ForbiddenError, 'User qa is not in role allowed_clients.');
    throwsWith(() => requireAllowedClient(user('qa'), s), ForbiddenError, 'User qa is not in role allowed_clients.');
  });

  it('group composer is allowed', () => {
    post(module, user('another_user', ['composer']), s);
  });

  it('groups [dev3, dev2]: module ok (one group suffices), tag refused with one message', () => {
    post(module, user('another_user', ['dev3', 'dev2']), s);
    throwsWith(
      () => post({ source: { type: 'tag', source: 'testmodule:rawhide' } }, user('another_user', ['dev3', 'dev2']), s),
      ForbiddenError,
      'User another_user not allowed to operate with compose with source_types=tag.',
    );
    post(module, user('unknown', ['dev2', 'x']), s);
    throwsWith(() => post(tag, user('unknown', ['dev2', 'x']), s), ForbiddenError, 'User unknown not allowed to operate with compose with source_types=tag.');
  });

  it('the user entry wins over its groups', () => {
    throwsWith(() => post(module, user('dev3', ['dev2']), s), ForbiddenError, 'User dev3 not allowed to operate with compose with source_types=module.');
  });

  it('raw_config: compose_types and raw_config_keys', () => {
    const rc = (source: string) => ({ source: { type: 'raw_config', source }, compose_type: 'production' });
    throwsWith(() => post(rc('pungi_cfg#hash'), user('dev2'), s), ForbiddenError, 'User dev2 not allowed to operate with compose with compose_types=production.');
    throwsWith(() => post(rc('pungi_cfg#hash'), user('dev4'), s), ForbiddenError, 'User dev4 not allowed to operate with compose with raw_config_keys=pungi_cfg.');
    assert.equal(post(rc('pungi_cfg2#hash'), user('dev4'), s).source, 'pungi_cfg2#hash');
    // dev2 has no raw_config_keys: every configured key is allowed
    const ok = post({ source: { type: 'raw_config', source: 'pungi_cfg#hash' }, label: 'Beta-1.2', compose_type: 'nightly' }, user('dev2'), s);
    assert.equal(ok.label, 'Beta-1.2');
  });

  it('several refused attributes of one entry are all reported, space-joined', () => {
    throwsWith(
      () => post({ ...tag, arches: ['aarch64'], compose_type: 'production' }, user('dev2'), s),
      ForbiddenError,
      'User dev2 not allowed to operate with compose with source_types=tag. User dev2 not allowed to operate with compose with arches=aarch64. User dev2 not allowed to operate with compose with compose_types=production.',
    );
  });

  it('arches and flags use the entry or the defaults', () => {
    post({ ...tag, arches: ['ppc64', 'x86_64'] }, user('dev'), s);
    throwsWith(() => post({ ...tag, arches: ['ppc64'] }, user('composer-member', ['composer']), s), ForbiddenError, 'User composer-member not allowed to operate with compose with arches=ppc64.');
    const limited = odcsTestSettings({ allowed_flags: ['no_deps'] });
    post({ ...tag, flags: ['no_deps'] }, user('dev'), limited);
    throwsWith(() => post({ ...tag, flags: ['check_deps'] }, user('dev'), limited), ForbiddenError, 'User dev not allowed to operate with compose with flags=check_deps.');
  });

  it('admins bypass per-attribute checks but still need allowed_clients', () => {
    const withRoot = odcsTestSettings({ allowed_clients: { users: { root: {} }, groups: {} }, admins: { users: ['root'], groups: [] } });
    post({ source: { type: 'repo', source: '/path' } }, user('root'), withRoot);
    throwsWith(() => post(tag, user('root'), s), ForbiddenError, 'User root is not in role allowed_clients.');
  });

  it('noauth: defaults for user "unknown", no role check, no admin bypass', () => {
    const noauth = parseSettings({});
    const anyone = user('', []);
    assert.equal(hasRole(anyone, noauth, 'allowed_clients'), true);
    assert.equal(isAdmin(anyone, noauth), true);
    post({ source: { type: 'tag', source: 'f26' } }, anyone, noauth);
    post({ source: { type: 'repo', source: '/srv/repo' } }, anyone, noauth);
    throwsWith(
      () => post({ source: { type: 'module', source: 'testmodule:master' } }, anyone, noauth),
      ForbiddenError,
      'User unknown not allowed to operate with compose with source_types=module.',
    );
    throwsWith(
      () => post({ source: { type: 'tag', source: 'f26' }, arches: ['ppc64'] }, anyone, noauth),
      ForbiddenError,
      'User unknown not allowed to operate with compose with arches=ppc64.',
    );
  });

  it('isAdmin by user or group', () => {
    assert.equal(isAdmin(user('root'), s), true);
    assert.equal(isAdmin(user('x', ['admin']), s), true);
    assert.equal(isAdmin(user('dev'), s), false);
  });
});

describe('decodeJsonBody, error bodies, pyRepr', () => {
  it('"{" is a 400 Failed to decode JSON object', () => {
    assert.throws(() => decodeJsonBody('{'), (e: unknown) => {
      assert.ok(e instanceof BadRequestError);
      assert.match(e.message, /^Failed to decode JSON object: /);
      assert.deepEqual(e.reason, 'Bad Request');
      return true;
    });
    assert.deepEqual(decodeJsonBody('{"a":1}'), { a: 1 });
  });

  it('errors map to statuses and ODCS bodies; unknown errors are 500s', () => {
    const body = (e: unknown) => {
      const { status, message } = classifyError(e);
      return errorBody(status, message);
    };
    assert.deepEqual(body(new ValueError('bad')), { status: 400, error: 'Bad Request', message: 'bad' });
    assert.deepEqual(body(new ForbiddenError('no')), { status: 403, error: 'Forbidden', message: 'no' });
    assert.deepEqual(body(new Error('boom')), { status: 500, error: 'Internal Server Error', message: 'boom' });
  });

  it('renders python reprs', () => {
    assert.equal(pyRepr({ a: 1, b: [true, false, null], c: 'x' }), "{'a': 1, 'b': [True, False, None], 'c': 'x'}");
    assert.equal(pyRepr([]), '[]');
    assert.equal(pyRepr({}), '{}');
    assert.equal(pyRepr("it's"), '"it\'s"');
    assert.equal(pyRepr('a\'b"c'), "'a\\'b\"c'");
    assert.equal(pyRepr('line\nbreak\\'), "'line\\nbreak\\\\'");
    assert.equal(pyRepr(1.5), '1.5');
    assert.equal(pyRepr(1e21), '1000000000000000000000');
  });
});
