import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareEVR, formatDep, parseEVR, rangesOverlap, rpmvercmp } from '../../activities/generate/rpmvercmp.js';
import type { Dep } from '../../activities/generate/types.js';

// Vectors from rpm's own test-suite (tests/rpmvercmp.at).
const VECTORS: [string, string, number][] = [
  ['1.0', '1.0', 0], ['1.0', '2.0', -1], ['2.0', '1.0', 1],
  ['2.0.1', '2.0.1', 0], ['2.0', '2.0.1', -1], ['2.0.1', '2.0', 1],
  ['2.0.1a', '2.0.1a', 0], ['2.0.1a', '2.0.1', 1], ['2.0.1', '2.0.1a', -1],
  ['5.5p1', '5.5p1', 0], ['5.5p1', '5.5p2', -1], ['5.5p2', '5.5p1', 1],
  ['5.5p10', '5.5p10', 0], ['5.5p1', '5.5p10', -1], ['5.5p10', '5.5p1', 1],
  ['10xyz', '10.1xyz', -1], ['10.1xyz', '10xyz', 1],
  ['xyz10', 'xyz10', 0], ['xyz10', 'xyz10.1', -1], ['xyz10.1', 'xyz10', 1],
  ['xyz.4', 'xyz.4', 0], ['xyz.4', '8', -1], ['8', 'xyz.4', 1], ['xyz.4', '2', -1], ['2', 'xyz.4', 1],
  ['5.5p2', '5.6p1', -1], ['5.6p1', '5.5p2', 1], ['5.6p1', '6.5p1', -1], ['6.5p1', '5.6p1', 1],
  ['6.0.rc1', '6.0', 1], ['6.0', '6.0.rc1', -1],
  ['10b2', '10a1', 1], ['10a2', '10b2', -1],
  ['1.0aa', '1.0aa', 0], ['1.0a', '1.0aa', -1], ['1.0aa', '1.0a', 1],
  ['10.0001', '10.0001', 0], ['10.0001', '10.1', 0], ['10.1', '10.0001', 0],
  ['10.0001', '10.0039', -1], ['10.0039', '10.0001', 1],
  ['4.999.9', '5.0', -1], ['5.0', '4.999.9', 1],
  ['20101121', '20101121', 0], ['20101121', '20101122', -1], ['20101122', '20101121', 1],
  ['2_0', '2_0', 0], ['2.0', '2_0', 0], ['2_0', '2.0', 0],
  ['a', 'a', 0], ['a+', 'a+', 0], ['a+', 'a_', 0], ['a_', 'a+', 0],
  ['+a', '+a', 0], ['+a', '_a', 0], ['_a', '+a', 0], ['+_', '+_', 0], ['_+', '+_', 0], ['_+', '_+', 0], ['+', '_', 0], ['_', '+', 0],
  ['1.0~rc1', '1.0~rc1', 0], ['1.0~rc1', '1.0', -1], ['1.0', '1.0~rc1', 1],
  ['1.0~rc1', '1.0~rc2', -1], ['1.0~rc2', '1.0~rc1', 1],
  ['1.0~rc1~git123', '1.0~rc1~git123', 0], ['1.0~rc1~git123', '1.0~rc1', -1], ['1.0~rc1', '1.0~rc1~git123', 1],
  ['1.0^', '1.0^', 0], ['1.0^', '1.0', 1], ['1.0', '1.0^', -1],
  ['1.0^git1', '1.0^git1', 0], ['1.0^git1', '1.0', 1], ['1.0', '1.0^git1', -1],
  ['1.0^git1', '1.0^git2', -1], ['1.0^git2', '1.0^git1', 1], ['1.0^git1', '1.01', -1], ['1.01', '1.0^git1', 1],
  ['1.0^20160101', '1.0^20160101', 0], ['1.0^20160101', '1.0.1', -1], ['1.0.1', '1.0^20160101', 1],
  ['1.0^20160101^git1', '1.0^20160101^git1', 0], ['1.0^20160102', '1.0^20160101^git1', 1], ['1.0^20160101^git1', '1.0^20160102', -1],
  ['1.0~rc1^git1', '1.0~rc1^git1', 0], ['1.0~rc1^git1', '1.0~rc1', 1], ['1.0~rc1', '1.0~rc1^git1', -1],
  ['1.0^git1~pre', '1.0^git1~pre', 0], ['1.0^git1', '1.0^git1~pre', 1], ['1.0^git1~pre', '1.0^git1', -1],
];

describe('rpmvercmp', () => {
  for (const [a, b, want] of VECTORS) {
    it(`${a} vs ${b} = ${want}`, () => assert.equal(rpmvercmp(a, b), want));
  }
});

describe('compareEVR', () => {
  it('epoch beats version', () => assert.equal(compareEVR({ epoch: '1', version: '0.1', release: '1' }, { epoch: '0', version: '9', release: '1' }), 1));
  it('missing epoch is 0', () => assert.equal(compareEVR({ version: '1.0', release: '1' }, { epoch: '0', version: '1.0', release: '1' }), 0));
  it('compares releases when both present', () => assert.equal(compareEVR({ version: '1.0', release: '2' }, { version: '1.0', release: '10' }), -1));
  it('ignores release when one side lacks it', () => {
    assert.equal(compareEVR({ version: '1.0' }, { version: '1.0', release: '5' }), 0);
    assert.equal(compareEVR({ version: '1.0', release: '' }, { version: '1.0', release: '5' }), 0);
  });
});

describe('parseEVR / formatDep', () => {
  it('parses epoch, version and release', () => {
    assert.deepEqual(parseEVR('2:1.0-3.fc40'), { epoch: '2', version: '1.0', release: '3.fc40' });
    assert.deepEqual(parseEVR('1.0'), { epoch: undefined, version: '1.0' });
    assert.deepEqual(parseEVR('1.0-1'), { epoch: undefined, version: '1.0', release: '1' });
  });
  it('formats like rpm, hiding epoch 0', () => {
    assert.equal(formatDep({ name: 'foo', flags: 'GE', epoch: '0', version: '2.0' }), 'foo >= 2.0');
    assert.equal(formatDep({ name: 'foo', flags: 'LT', epoch: '1', version: '2.0', release: '3' }), 'foo < 1:2.0-3');
    assert.equal(formatDep({ name: '/usr/bin/sh' }), '/usr/bin/sh');
  });
});

describe('rangesOverlap (does a provide satisfy a require)', () => {
  const P = (flags: Dep['flags'], v?: string, r?: string, e?: string): Dep => ({ name: 'foo', flags, version: v, release: r, epoch: e });
  const cases: [string, Dep, Dep, boolean][] = [
    ['= 1.0-1 satisfies >= 1.0', P('EQ', '1.0', '1'), P('GE', '1.0'), true],
    ['= 1.0-1 does not satisfy > 1.0 (release ignored)', P('EQ', '1.0', '1'), P('GT', '1.0'), false],
    ['= 1.0-1 satisfies = 1.0', P('EQ', '1.0', '1'), P('EQ', '1.0'), true],
    ['= 1.0-1 satisfies <= 1.0', P('EQ', '1.0', '1'), P('LE', '1.0'), true],
    ['= 1.0-1 does not satisfy < 1.0', P('EQ', '1.0', '1'), P('LT', '1.0'), false],
    ['= 1.0-2 satisfies < 1.0-3', P('EQ', '1.0', '2'), P('LT', '1.0', '3'), true],
    ['= 1.0-2 does not satisfy = 1.0-3', P('EQ', '1.0', '2'), P('EQ', '1.0', '3'), false],
    ['= 2.0 does not satisfy <= 1.0', P('EQ', '2.0'), P('LE', '1.0'), false],
    ['= 1:0.5 satisfies >= 2.0 (epoch)', P('EQ', '0.5', '1', '1'), P('GE', '2.0', undefined, '0'), true],
    ['= 0.5 does not satisfy >= 1:0.1', P('EQ', '0.5', '1', '0'), P('GE', '0.1', undefined, '1'), false],
    ['unversioned provide satisfies >= 99', P(undefined), P('GE', '99'), true],
    ['versioned provide satisfies unversioned require', P('EQ', '1.0'), P(undefined), true],
    ['provide >= 2 overlaps require < 3', P('GE', '2'), P('LT', '3'), true],
    ['provide >= 3 does not overlap require < 3', P('GE', '3'), P('LT', '3'), false],
    ['= 1.0~rc1 does not satisfy >= 1.0', P('EQ', '1.0~rc1', '1'), P('GE', '1.0'), false],
  ];
  for (const [title, prov, req, want] of cases) it(title, () => assert.equal(rangesOverlap(prov, req), want));
  it('different names never match', () => assert.equal(rangesOverlap({ name: 'a' }, { name: 'b' }), false));
});
