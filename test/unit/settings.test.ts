import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSettings, resolveTagRepos } from '../../core/settings.js';

describe('parseSettings', () => {
  it('fills every default', () => {
    assert.deepEqual(parseSettings({}), {
      auth_backend: 'noauth',
      allowed_clients: { groups: {}, users: {} },
      admins: { groups: [], users: [] },
      oidc_base_namespace: 'https://pagure.io/odcs/',
      oidc_clock_tolerance: 30,
      auth_openidc_required_scopes: [],
      auth_user_header: 'X-Remote-User',
      auth_groups_header: 'X-Remote-Groups',
      trusted_proxies: [],
      pulp_content_sets: {},
      allowed_source_types: ['tag', 'build', 'repo'],
      allowed_flags: [
        'no_deps',
        'no_inheritance',
        'include_unpublished_pulp_repos',
        'check_deps',
        'include_done_modules',
        'ignore_absent_pulp_repos',
        'no_reuse',
        'use_only_compatible_arch',
        'no_label',
      ],
      allowed_arches: ['x86_64'],
      allowed_results: ['repository', 'iso', 'ostree', 'boot.iso'],
      allowed_sources: [''],
      allowed_compose_types: [''],
      allowed_target_dirs: [],
      arches: ['x86_64'],
      sigkeys: [],
      base_module_names: ['platform', 'bootstrap'],
      seconds_to_live: 86400,
      max_seconds_to_live: 259200,
      extra_target_dirs: {},
      raw_config_urls: {},
      num_concurrent_pungi: 2,
      pungi_timeout: 3600,
      tags: {},
      version: '0.1.0',
    });
    assert.deepEqual(parseSettings(undefined).arches, ['x86_64']);
  });

  it('defaults are fresh objects per parse', () => {
    const a = parseSettings({});
    a.arches.push('ppc64');
    a.allowed_clients.users.x = {};
    const b = parseSettings({});
    assert.deepEqual(b.arches, ['x86_64']);
    assert.deepEqual(b.allowed_clients.users, {});
  });

  it('keeps given values and drops unknown top-level keys', () => {
    const s = parseSettings({
      auth_backend: 'openidc',
      allowed_clients: { users: { dev: { arches: ['ppc64'] } } },
      admins: { users: ['root'] },
      allowed_raw_config_keys: ['a'],
      extra_target_dirs: { 'releng-private': '/tmp/private' },
      raw_config_urls: { cfg: { url: 'https://git/x.git', config_filename: 'pungi.conf', path: 'sub' } },
      database: { url: 'postgres://x' },
    });
    assert.equal(s.auth_backend, 'openidc');
    assert.deepEqual(s.allowed_clients, { users: { dev: { arches: ['ppc64'] } }, groups: {} });
    assert.deepEqual(s.admins, { users: ['root'], groups: [] });
    assert.deepEqual(s.allowed_raw_config_keys, ['a']);
    assert.equal(s.raw_config_urls.cfg.path, 'sub');
    assert.ok(!('database' in s));
  });

  it('readable errors with paths', () => {
    assert.throws(
      () => parseSettings({ auth_backend: 'kerberos', seconds_to_live: '1', allowed_clients: { users: { u: { arch: [] } } } }),
      (e: unknown) => {
        const m = (e as Error).message;
        assert.match(m, /^Invalid ODCS settings:/);
        assert.match(m, /auth_backend/);
        assert.match(m, /seconds_to_live/);
        assert.match(m, /Unrecognized key: "arch"/);
        assert.match(m, /allowed_clients\.users\.u/);
        return true;
      },
    );
  });

  it('rejects relative repos, relative target dirs, a "default" extra dir and unknown parents', () => {
    assert.throws(() => parseSettings({ tags: { f: { repos: ['relative/path'] } } }), /absolute path or a file:\/\//);
    assert.throws(() => parseSettings({ extra_target_dirs: { x: 'rel' } }), /absolute path/);
    assert.throws(() => parseSettings({ extra_target_dirs: { default: '/x' } }), /"default"/);
    assert.throws(() => parseSettings({ tags: { f: { repos: ['/r'], parents: ['nope'] } } }), /unknown parent tag "nope"/);
    assert.throws(() => parseSettings({ raw_config_urls: { c: { url: 'x' } } }), /config_filename/);
    parseSettings({ tags: { f: { repos: ['/srv/r', 'file:///srv/s', 'http://h/r', 'https://h/r'] } } });
  });
});

describe('resolveTagRepos', () => {
  const s = parseSettings({
    tags: {
      f26: { repos: ['/r/f26', '/r/shared'], parents: ['f26-base', 'f26-extra'] },
      'f26-base': { repos: ['/r/base', '/r/shared'], parents: ['core'] },
      'f26-extra': { repos: ['http://h/extra'], parents: ['core'] },
      core: { repos: ['file:///r/core'], parents: ['f26'] }, // a cycle back to f26
      empty: {},
    },
  });

  it('own repos, then parents depth-first in declared order, deduplicated and cycle-safe', () => {
    assert.deepEqual(resolveTagRepos(s, 'f26', false), ['/r/f26', '/r/shared', '/r/base', 'file:///r/core', 'http://h/extra']);
    assert.deepEqual(resolveTagRepos(s, 'core', false), ['file:///r/core', '/r/f26', '/r/shared', '/r/base', 'http://h/extra']);
  });

  it('no_inheritance keeps only the tag itself', () => {
    assert.deepEqual(resolveTagRepos(s, 'f26', true), ['/r/f26', '/r/shared']);
  });

  it('unknown tag → null; a tag without repos → []', () => {
    assert.equal(resolveTagRepos(s, 'nope', false), null);
    assert.equal(resolveTagRepos(s, 'toString', false), null);
    assert.deepEqual(resolveTagRepos(s, 'empty', false), []);
  });
});
