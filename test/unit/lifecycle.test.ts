import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  REASON_DONE,
  REASON_GENERATING,
  addSeconds,
  clampTtl,
  deleteRefusal,
  extendedExpiry,
  parseState,
  reasonCanceled,
  reasonError,
  reasonExpired,
  reasonMissingPackages,
  reasonNoSpace,
  reasonReusedFailed,
  reasonReusing,
  removalReasonOverLimit,
  reasonStuckGenerating,
  stateName,
  statesFrom,
} from '../../core/lifecycle.js';
import { flagsToNames, hasFlag, multilibMethodToNames, resultsToNames } from '../../core/flags.js';
import { parseSettings } from '../../core/settings.js';

const now = new Date('2024-05-01T10:00:00Z');

describe('states', () => {
  it('names and parsing', () => {
    assert.deepEqual([0, 1, 2, 3, 4].map(stateName), ['wait', 'generating', 'done', 'removed', 'failed']);
    assert.throws(() => stateName(9));
    assert.equal(parseState('done'), 2);
    assert.equal(parseState('4'), 4);
    assert.equal(parseState(3), 3);
    assert.equal(parseState('nope'), null);
    assert.equal(parseState('7'), null);
  });

  it('allowed transitions', () => {
    const allowed = [
      [0, 1],
      [0, 4],
      [0, 2],
      [1, 2],
      [1, 4],
      [2, 3],
      [4, 3],
    ];
    for (let from = 0; from <= 4; from++) {
      for (let to = 0; to <= 4; to++) {
        const expected = allowed.some(([f, t]) => f === from && t === to);
        assert.equal(statesFrom(to).includes(from), expected, `${from}→${to}`);
      }
    }
  });
});

describe('state_reason texts', () => {
  it('constants and builders', () => {
    assert.equal(REASON_GENERATING, 'Compose is generating');
    assert.equal(REASON_DONE, 'Compose is generated successfully');
    assert.equal(reasonError('boom'), 'Error while generating compose: boom');
    assert.equal(reasonError('boom', 'ERROR x'), 'Error while generating compose: boom\nERROR x');
    assert.equal(reasonCanceled('dev2'), 'Canceled by dev2');
    assert.equal(reasonStuckGenerating(7200), "Compose stuck in 'generating' state for longer than 7200 seconds.");
    assert.equal(reasonReusing(3), 'Reusing compose 3');
    assert.equal(reasonReusedFailed(3, 'Canceled by x'), 'Reused compose 3 did not succeed: Canceled by x');
    assert.equal(reasonReusedFailed(3, null), 'Reused compose 3 did not succeed:');
    assert.equal(reasonNoSpace(5, 4, 60), 'Not enough space in the compose root: 5 of 4 bytes used, and nothing more could be removed early within 60 seconds.');
    assert.equal(reasonExpired('x', null, removalReasonOverLimit(5, 4)), 'x\nRemoved early: the compose root was over its size limit (5 of 4 bytes used).');
    assert.equal(reasonMissingPackages(['a', 'b']), 'The following requested packages are not present in the generated compose: a b.');
  });

  it('expiry reason is appended after a newline', () => {
    assert.equal(reasonExpired(null, null), 'Compose is expired.');
    assert.equal(reasonExpired('Compose is generated successfully', null), 'Compose is generated successfully\nCompose is expired.');
    assert.equal(reasonExpired('Compose is generated successfully', 'root'), 'Compose is generated successfully\nRemoved by root.');
  });
});

describe('DELETE rules', () => {
  const c = (state: number, owner = 'alice') => ({ id: 7, state, owner });
  it('a waiting compose: its owner or an admin cancels it', () => {
    assert.equal(deleteRefusal(c(0), 'alice', false), null);
    assert.equal(deleteRefusal(c(0), 'bob', true), null);
    assert.deepEqual(deleteRefusal(c(0), 'bob', false), { status: 403, message: "Compose (id=%s) can not be canceled, it's owned by someone else." });
  });
  it('done or failed: admins only; other states refused', () => {
    assert.equal(deleteRefusal(c(2), 'bob', true), null);
    assert.equal(deleteRefusal(c(4), 'bob', true), null);
    assert.deepEqual(deleteRefusal(c(2), 'alice', false), { status: 403, message: 'User alice is not in role admins.' });
    for (const state of [1, 3]) {
      assert.deepEqual(deleteRefusal(c(state), 'bob', true), { status: 400, message: "Compose (id=7) can not be removed, its state need to be in ['done', 'failed']." });
      assert.deepEqual(deleteRefusal(c(state), 'alice', false), { status: 403, message: 'User alice is not in role admins.' });
    }
  });
});

describe('TTL and expiry', () => {
  const settings = parseSettings({});

  it('clampTtl: missing/0 → default, capped at max, negatives pass', () => {
    assert.equal(clampTtl(undefined, settings), 86400);
    assert.equal(clampTtl(null, settings), 86400);
    assert.equal(clampTtl(0, settings), 86400);
    assert.equal(clampTtl(43200, settings), 43200);
    assert.equal(clampTtl(7 * 86400, settings), 259200);
    assert.equal(clampTtl(-5, settings), -5);
  });

  it('extendedExpiry never shortens', () => {
    assert.deepEqual(extendedExpiry(new Date('2024-05-01T09:00:00Z'), now, 60), addSeconds(now, 60));
    assert.deepEqual(extendedExpiry(new Date('2025-01-01T00:00:00Z'), now, 60), new Date('2025-01-01T00:00:00Z'));
  });
});

describe('flags', () => {
  it('names in bit order', () => {
    assert.deepEqual(flagsToNames(0), []);
    assert.deepEqual(flagsToNames(511), [
      'no_deps',
      'no_inheritance',
      'include_unpublished_pulp_repos',
      'check_deps',
      'include_done_modules',
      'ignore_absent_pulp_repos',
      'no_reuse',
      'use_only_compatible_arch',
      'no_label',
    ]);
    assert.deepEqual(resultsToNames(9), ['repository', 'boot.iso']);
    assert.deepEqual(resultsToNames(6), ['iso', 'ostree']);
    assert.deepEqual(multilibMethodToNames(3), ['runtime', 'devel']);
    assert.equal(hasFlag(65, 'no_reuse'), true);
    assert.equal(hasFlag(65, 'no_inheritance'), false);
  });
});
