// What a file thread gets of a package (filecheck.ts): the check's fields survive the one-string
// encoding, absent numbers stay absent, and a slice takes only its packages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFileChecks, encodeFileChecks } from '../../activities/generate/filecheck.js';
import type { PackageRecord } from '../../activities/generate/types.js';

const pkg = (name: string, over: Partial<PackageRecord> = {}): PackageRecord => ({
  name,
  epoch: '0',
  version: '1.0',
  release: '1.fc41',
  arch: 'x86_64',
  location: `/srv/repo/Packages/${name[0]}/${name}-1.0-1.fc41.x86_64.rpm`,
  href: `Packages/${name[0]}/${name}-1.0-1.fc41.x86_64.rpm`,
  repo: '/srv/repo',
  size: 12345,
  headerStart: 4504,
  headerEnd: 9876,
  provides: [],
  requires: [],
  files: [],
  ...over,
});

describe('file checks sent to a file thread', () => {
  it('round-trips the fields of a slice; absent size and header range stay absent', () => {
    const pkgs = [pkg('a'), pkg('b', { size: undefined, headerStart: undefined, headerEnd: undefined, epoch: '2', arch: 'noarch' }), pkg('c')];
    const got = decodeFileChecks(encodeFileChecks(pkgs, 1, 3));
    const fields = (p: PackageRecord) => ({
      location: p.location,
      repo: p.repo,
      href: p.href,
      size: p.size,
      headerStart: p.headerStart,
      headerEnd: p.headerEnd,
      name: p.name,
      epoch: p.epoch,
      version: p.version,
      release: p.release,
      arch: p.arch,
    });
    assert.deepEqual(got, [fields(pkgs[1]), fields(pkgs[2])]);
    assert.equal(got[0].size, undefined);
    assert.deepEqual(decodeFileChecks(encodeFileChecks(pkgs, 0, 0)), []);
  });

  it('a record without an href names its file by its location', () => {
    const [got] = decodeFileChecks(encodeFileChecks([pkg('d', { href: '' })], 0, 1));
    assert.equal(got.href, '/srv/repo/Packages/d/d-1.0-1.fc41.x86_64.rpm');
  });
});
