import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ComposeRecord } from '../../core/compose.js';
import { composeRecord } from '../fixtures/compose-record.js';
import { composeToJson, composeUrls, formatOdcsDate } from '../../core/compose-json.js';

const submitted = new Date('2016-01-01T00:00:00.123Z');

function record(overrides: Partial<ComposeRecord> = {}): ComposeRecord {
  return composeRecord(
    { source: { type: 'module', source: 'testmodule:master' } },
    { owner: 'dev', time_submitted: submitted, time_to_expire: new Date(submitted.getTime() + 86400_000), source_revision: 'abc123', ...overrides },
  );
}

const opts = { targetDirUrl: 'http://localhost/odcs', includeConfigDump: false };

describe('composeToJson', () => {
  it('matches test_views.py test_submit_build exactly', () => {
    assert.deepEqual(composeToJson(record(), opts), {
      source_type: 2,
      state: 0,
      time_done: null,
      state_name: 'wait',
      state_reason: null,
      source: 'testmodule:master',
      owner: 'dev',
      result_repo: 'http://localhost/odcs/odcs-1/compose/Temporary',
      result_repofile: 'http://localhost/odcs/odcs-1/compose/Temporary/odcs-1.repo',
      time_submitted: '2016-01-01T00:00:00Z',
      id: 1,
      time_started: null,
      time_removed: null,
      removed_by: null,
      time_to_expire: '2016-01-02T00:00:00Z',
      flags: [],
      results: ['repository'],
      sigkeys: '',
      koji_event: null,
      koji_task_id: null,
      packages: null,
      builds: null,
      arches: 'x86_64',
      multilib_arches: '',
      multilib_method: 0,
      lookaside_repos: '',
      modular_koji_tags: null,
      module_defaults_url: null,
      label: null,
      compose_type: 'test',
      pungi_compose_id: null,
      target_dir: 'default',
      scratch_modules: null,
      modules: null,
      toplevel_url: 'http://localhost/odcs/odcs-1',
      parent_pungi_compose_ids: null,
      scratch_build_tasks: null,
      respin_of: null,
      base_module_br_name: null,
      base_module_br_stream: null,
      base_module_br_stream_version_lte: null,
      base_module_br_stream_version_gte: null,
    });
  });

  it('keys are sorted like Flask jsonify and internal fields never leak', () => {
    const json = composeToJson(record({ reused_id: 7 }), { ...opts, includeConfigDump: true });
    const keys = Object.keys(json);
    assert.deepEqual(keys, [...keys].sort());
    for (const hidden of ['reused_id', 'seconds_to_live', 'source_revision', 'celery_task_id']) assert.ok(!(hidden in json), hidden);
  });

  it('pungi_config_dump only for the single GET', () => {
    assert.ok(!('pungi_config_dump' in composeToJson(record(), opts)));
    assert.equal(composeToJson(record(), { ...opts, includeConfigDump: true }).pungi_config_dump, null);
    assert.equal(composeToJson(record({ pungi_config_dump: 'cfg' }), { ...opts, includeConfigDump: true }).pungi_config_dump, 'cfg');
  });

  it('flags and results as names in bit order; state_name; dates', () => {
    const json = composeToJson(
      record({ flags: 1 | 64 | 256, results: 1 | 8 | 2, state: 2, time_done: new Date('2019-07-23T11:26:26.999Z') }),
      opts,
    );
    assert.deepEqual(json.flags, ['no_deps', 'no_reuse', 'no_label']);
    assert.deepEqual(json.results, ['repository', 'iso', 'boot.iso']);
    assert.equal(json.state_name, 'done');
    assert.equal(json.time_done, '2019-07-23T11:26:26Z');
  });

  it('URLs use the reused compose name', () => {
    const json = composeToJson(record({ id: 5, reused_id: 3 }), opts);
    assert.equal(json.toplevel_url, 'http://localhost/odcs/odcs-3');
    assert.equal(json.result_repofile, 'http://localhost/odcs/odcs-3/compose/Temporary/odcs-3.repo');
    assert.equal(json.id, 5);
  });

  it('URLs are empty off the default target_dir, and repo/repofile empty for raw_config', () => {
    const off = composeToJson(record({ target_dir: 'releng-private' }), opts);
    assert.deepEqual([off.toplevel_url, off.result_repo, off.result_repofile], ['', '', '']);
    assert.equal(off.target_dir, 'releng-private');
    const raw = composeToJson(record({ source_type: 5, source: 'pungi_cfg#hash' }), opts);
    assert.equal(raw.toplevel_url, 'http://localhost/odcs/odcs-1');
    assert.equal(raw.result_repo, '');
    assert.equal(raw.result_repofile, '');
  });

  it('an extra target_dir no longer configured shows as "unknown"', () => {
    const json = composeToJson(record({ target_dir: 'gone' }), { ...opts, extraTargetDirNames: ['releng-private'] });
    assert.equal(json.target_dir, 'unknown');
  });

  it('a trailing slash on target_dir_url is not doubled', () => {
    assert.equal(composeUrls(record(), 'http://h/composes/').toplevel_url, 'http://h/composes/odcs-1');
  });

  it('sigkeys "" when none', () => {
    assert.equal(composeToJson(record({ sigkeys: '' }), opts).sigkeys, '');
    assert.equal(composeToJson(record({ sigkeys: 'x y' }), opts).sigkeys, 'x y');
  });
});

describe('formatOdcsDate', () => {
  it('drops milliseconds, keeps Z, passes null', () => {
    assert.equal(formatOdcsDate(new Date('2020-02-03T04:05:06.789Z')), '2020-02-03T04:05:06Z');
    assert.equal(formatOdcsDate(null), null);
  });
});
