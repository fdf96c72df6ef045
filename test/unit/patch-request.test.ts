import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ComposeRecord } from '../../core/compose.js';
import { composeRecord } from '../fixtures/compose-record.js';
import { checkRenewPermissions, type RequestUser } from '../../core/permissions.js';
import { BadRequestError, ForbiddenError, NotFoundError, ValueError } from '../../core/errors.js';
import { assertRenewable, decideRenew, parseRenewRequest } from '../../core/patch-request.js';
import { parseSettings } from '../../core/settings.js';

const settings = parseSettings({});
const now = new Date('2024-03-01T12:00:00Z');

function compose(overrides: Partial<ComposeRecord> = {}): ComposeRecord {
  return composeRecord(
    { source: { type: 'module', source: 'testmodule:master' } },
    {
      state: 2,
      state_reason: 'Compose is generated successfully',
      time_to_expire: new Date('2024-03-01T12:30:00Z'),
      time_submitted: new Date('2024-02-29T12:00:00Z'),
      ...overrides,
    },
  );
}

describe('parseRenewRequest', () => {
  it('optional body: undefined, null and {} give the default TTL and nothing else', () => {
    for (const body of [undefined, null, {}]) assert.deepEqual(parseRenewRequest(body, settings), { seconds_to_live: 86400 });
  });

  it('TTL in either spelling, capped', () => {
    assert.equal(parseRenewRequest({ seconds_to_live: 600 }, settings).seconds_to_live, 600);
    assert.equal(parseRenewRequest({ 'seconds-to-live': 600 }, settings).seconds_to_live, 600);
    assert.equal(parseRenewRequest({ seconds_to_live: 10 ** 7 }, settings).seconds_to_live, 259200);
  });

  it('"600s" is a 400 (ODCS test: seconds_to_live should be an integer; legacy name: quoted request)', () => {
    assert.throws(
      () => parseRenewRequest({ seconds_to_live: '600s' }, settings),
      (e: unknown) => e instanceof ValueError && e.message === 'seconds_to_live should be an integer',
    );
    assert.throws(
      () => parseRenewRequest({ 'seconds-to-live': '600s' }, settings),
      (e: unknown) => e instanceof ValueError && e.message === "Invalid seconds_to_live specified in request: {'seconds-to-live': '600s'}",
    );
  });

  it('a non-object body such as "abc" is a 400', () => {
    assert.throws(() => parseRenewRequest('abc', settings), BadRequestError);
    assert.throws(() => parseRenewRequest([1], settings), BadRequestError);
  });

  it('sigkeys, label, source.modules and source.builds; unknown keys ignored', () => {
    assert.deepEqual(
      parseRenewRequest(
        {
          sigkeys: ['123', '456'],
          label: 'RC-1.0',
          source: { modules: ['foo:stream:1:1', 'bar:stream:1:1'], builds: ['foo-1-1', 'bar-1-1'], unknown_arg: 'should be ignored' },
        },
        settings,
      ),
      {
        seconds_to_live: 86400,
        sigkeys: '123 456',
        label: 'RC-1.0',
        modules: 'foo:stream:1:1 bar:stream:1:1',
        builds: 'foo-1-1 bar-1-1',
      },
    );
    assert.throws(() => parseRenewRequest({ source: { builds: 'x' } }, settings), /builds should be a list/);
    assert.throws(() => parseRenewRequest({ sigkeys: 'x' }, settings), /sigkeys should be a list/);
  });
});

describe('decideRenew', () => {
  const req = (body: unknown = {}) => parseRenewRequest(body, settings);

  it('only done, removed and failed composes are found', () => {
    for (const state of [0, 1]) {
      assert.throws(
        () => decideRenew(compose({ id: 1, state }), req(), now),
        (e: unknown) => e instanceof NotFoundError && e.message === 'No compose with id 1 found',
      );
    }
    assertRenewable(compose({ state: 3 }));
  });

  it('removed or failed compose → copy in the same shape, owner/state left to the caller', () => {
    for (const state of [3, 4]) {
      const old = compose({ state, reused_id: 1, time_removed: now });
      const d = decideRenew(old, req(), now);
      assert.equal(d.kind, 'copy');
      if (d.kind !== 'copy') return;
      assert.equal(d.input.source, 'testmodule:master');
      assert.equal(d.input.seconds_to_live, 86400);
      assert.ok(!('reused_id' in d.input) && !('state' in d.input) && !('owner' in d.input));
    }
  });

  it('new sigkeys on a done compose → copy with the new sigkeys', () => {
    const d = decideRenew(compose({ sigkeys: '012 345' }), req({ sigkeys: ['123', '456'] }), now);
    assert.equal(d.kind, 'copy');
    if (d.kind === 'copy') assert.equal(d.input.sigkeys, '123 456');
  });

  it('same sigkeys → extend', () => {
    const d = decideRenew(compose({ sigkeys: '123 456' }), req({ sigkeys: ['123', '456'] }), now);
    assert.equal(d.kind, 'extend');
  });

  it('modules + builds → copy, respin_of = old pungi_compose_id, koji_event kept', () => {
    const old = compose({ koji_event: 123, pungi_config_dump: 'some data', pungi_compose_id: 'Fedora-1-1', respin_of: 'Older-1' });
    const d = decideRenew(old, req({ source: { modules: ['foo:stream:1:1', 'bar:stream:1:1'], builds: ['foo-1-1', 'bar-1-1'] } }), now);
    assert.equal(d.kind, 'copy');
    if (d.kind !== 'copy') return;
    assert.equal(d.respin_of, 'Fedora-1-1');
    assert.equal(d.input.respin_of, 'Fedora-1-1');
    assert.equal(d.input.modules, 'foo:stream:1:1 bar:stream:1:1');
    assert.equal(d.input.builds, 'foo-1-1 bar-1-1');
    assert.equal(d.input.koji_event, 123);
  });

  it('empty modules list still forces a copy but keeps the old modules', () => {
    const d = decideRenew(compose({ modules: 'a:b' }), req({ source: { modules: [] } }), now);
    assert.equal(d.kind, 'copy');
    if (d.kind === 'copy') assert.equal(d.input.modules, 'a:b');
  });

  it('a different label → copy with it; same or empty label → extend', () => {
    const d = decideRenew(compose({ label: 'Beta-1' }), req({ label: 'RC-1' }), now);
    assert.equal(d.kind, 'copy');
    if (d.kind === 'copy') assert.equal(d.input.label, 'RC-1');
    assert.equal(decideRenew(compose({ label: 'Beta-1' }), req({ label: 'Beta-1' }), now).kind, 'extend');
    assert.equal(decideRenew(compose({ label: 'Beta-1' }), req({ label: '' }), now).kind, 'extend');
  });

  it('extend is max(current, now + ttl)', () => {
    const expired = compose({ time_to_expire: new Date(now.getTime() - 10_000) });
    assert.deepEqual(decideRenew(expired, req({ seconds_to_live: 3 * 3600 }), now), {
      kind: 'extend',
      timeToExpire: new Date(now.getTime() + 3 * 3600_000),
    });
    const longLived = compose({ time_to_expire: new Date('2030-01-01T00:00:00Z') });
    assert.deepEqual(decideRenew(longLived, req({ seconds_to_live: 600 }), now), {
      kind: 'extend',
      timeToExpire: new Date('2030-01-01T00:00:00Z'),
    });
  });
});

describe('checkRenewPermissions', () => {
  const s = parseSettings({
    auth_backend: 'openidc',
    raw_config_urls: {
      pungi_cfg: { url: 'http://localhost/a.git', config_filename: 'pungi.conf' },
      pungi_cfg2: { url: 'http://localhost/b.git', config_filename: 'pungi.conf' },
    },
    allowed_clients: { users: { dev4: { source_types: ['raw_config'], raw_config_keys: ['pungi_cfg2'] }, dev: {} }, groups: {} },
  });
  const dev4: RequestUser = { name: 'dev4', groups: [] };

  it('raw_config key of the old compose is checked', () => {
    const removed = (source: string) => compose({ state: 3, source_type: 5, source });
    assert.throws(
      () => checkRenewPermissions(removed('pungi_cfg#hash'), dev4, s, false),
      (e: unknown) => e instanceof ForbiddenError && e.message === 'User dev4 not allowed to operate with compose with raw_config_keys=pungi_cfg.',
    );
    checkRenewPermissions(removed('pungi_cfg2#hash'), dev4, s, false);
  });

  it('target_dir is not checked on renew; role still is', () => {
    checkRenewPermissions(compose({ source_type: 1, source: 'f26', target_dir: 'private' }), { name: 'dev', groups: [] }, s, false);
    assert.throws(
      () => checkRenewPermissions(compose(), { name: 'qa', groups: [] }, s, false),
      (e: unknown) => e instanceof ForbiddenError && e.message === 'User qa is not in role allowed_clients.',
    );
  });
});
