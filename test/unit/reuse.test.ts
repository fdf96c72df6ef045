import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ComposeRecord } from '../../core/compose.js';
import { composeRecord } from '../fixtures/compose-record.js';
import { parseNewComposeRequest } from '../../core/compose-request.js';
import { findReusableCompose, isReusable, orderReuseCandidates, reuseUpdate, type ReuseInput } from '../../core/reuse.js';
import { parseSettings } from '../../core/settings.js';

const settings = parseSettings({});
const t0 = new Date('2024-01-01T00:00:00Z');

const request = (body: Record<string, unknown>) =>
  parseNewComposeRequest({ source: { type: 'tag', source: 'f26', packages: ['a', 'b'] }, ...body }, settings);

function input(body: Record<string, unknown> = {}): ReuseInput {
  return { ...request(body), source_revision: 'rev1', id: 10 };
}

function old(overrides: Partial<ComposeRecord> = {}, body: Record<string, unknown> = {}): ComposeRecord {
  return composeRecord(
    { source: { type: 'tag', source: 'f26', packages: ['a', 'b'] }, ...body },
    {
      source_revision: 'rev1',
      id: 5,
      state: 2,
      state_reason: 'Compose is generated successfully',
      time_to_expire: t0,
      time_submitted: t0,
      time_started: t0,
      time_done: t0,
      pungi_compose_id: 'odcs-5-1-20240101.t.0',
      ...overrides,
    },
  );
}

describe('isReusable', () => {
  it('identical done compose with the same revision is reusable', () => {
    assert.equal(isReusable(input(), old()), true);
  });

  it('generating compose only once it is really generating', () => {
    assert.equal(isReusable(input(), old({ state: 1, state_reason: 'Compose is generating' })), true);
    assert.equal(isReusable(input(), old({ state: 1, state_reason: 'Compose thread started' })), false);
  });

  it('wait, failed and removed composes are not candidates; nor reusing ones; nor higher ids', () => {
    for (const state of [0, 3, 4]) assert.equal(isReusable(input(), old({ state })), false, `state ${state}`);
    assert.equal(isReusable(input(), old({ reused_id: 2 })), false);
    assert.equal(isReusable(input(), old({ id: 11 })), false);
    assert.equal(isReusable({ ...input(), id: undefined }, old({ id: 11 })), true);
  });

  it('source_revision stands in for koji_event: must be equal', () => {
    assert.equal(isReusable({ ...input(), source_revision: 'rev2' }, old()), false);
    assert.equal(isReusable({ ...input(), source_revision: null }, old({ source_revision: null })), true);
  });

  it('never with no_reuse, raw_config or pulp', () => {
    assert.equal(isReusable(input({ flags: ['no_reuse'] }), old({}, { flags: ['no_reuse'] })), false);
    const raw = { ...input(), source_type: 5, source: 'cfg#hash' };
    assert.equal(isReusable(raw, old({ source_type: 5, source: 'cfg#hash' })), false);
    const pulp = { ...input(), source_type: 4, source: 'cs1' };
    assert.equal(isReusable(pulp, old({ source_type: 4, source: 'cs1' })), false);
  });

  it('list fields compare as sets', () => {
    const n = { ...input(), packages: 'b a a', arches: 'ppc64 x86_64', sigkeys: '' };
    const o = old({ packages: 'a b', arches: 'x86_64 ppc64', sigkeys: '' });
    assert.equal(isReusable(n, o), true);
    assert.equal(isReusable({ ...n, packages: 'a b c' }, o), false);
    // null and "" are both the empty set
    assert.equal(isReusable({ ...input(), builds: null, lookaside_repos: '' }, old({ builds: '', lookaside_repos: '' })), true);
    for (const f of ['builds', 'sigkeys', 'arches', 'lookaside_repos', 'multilib_arches', 'modular_koji_tags', 'scratch_modules', 'modules', 'scratch_build_tasks', 'parent_pungi_compose_ids'] as const) {
      assert.equal(isReusable({ ...input(), [f]: 'zzz' }, old()), false, f);
    }
  });

  it('other fields must be exactly equal', () => {
    const variants: Partial<ReuseInput>[] = [
      { source: 'f27' },
      { flags: 1 },
      { results: 3 },
      { module_defaults_url: 'u c' },
      { respin_of: 'X-1' },
      { target_dir: 'private' },
      { multilib_method: 1 },
      { source_type: 3 },
    ];
    for (const v of variants) assert.equal(isReusable({ ...input(), ...v }, old()), false, JSON.stringify(v));
  });
});

describe('candidate order and selection', () => {
  const c = (id: number, state: number, reason = '') => old({ id, state, state_reason: reason });

  it('done newest first, then generating oldest first; others dropped', () => {
    const ordered = orderReuseCandidates([
      c(1, 2),
      c(2, 1, 'Compose is generating'),
      c(3, 2),
      c(4, 1, 'Compose is generating'),
      c(6, 0),
      c(7, 1, 'Compose thread started'),
      old({ id: 8, reused_id: 1 }),
    ]);
    assert.deepEqual(ordered.map((x) => x.id), [3, 1, 2, 4]);
  });

  it('findReusableCompose picks the first reusable in that order', () => {
    const found = findReusableCompose(input(), [c(1, 2), c(2, 1, 'Compose is generating'), old({ id: 3, source: 'other' })]);
    assert.equal(found?.id, 1);
    assert.equal(findReusableCompose(input({ flags: ['no_reuse'] }), [c(1, 2)]), null);
    assert.equal(findReusableCompose(input(), []), null);
  });

  it('reuseUpdate copies reused id and pungi id and keeps the later expiry', () => {
    const later = new Date('2024-02-01T00:00:00Z');
    assert.deepEqual(reuseUpdate({ time_to_expire: later }, old()), {
      reused_id: 5,
      pungi_compose_id: 'odcs-5-1-20240101.t.0',
      time_to_expire: later,
    });
    assert.equal(reuseUpdate({ time_to_expire: t0 }, old({ time_to_expire: later })).time_to_expire, later);
  });
});
