import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeMultilibMethods, compatArches, kojiRepoArch, multilibMethodFor, neededCompatArches, needsFileLists, type MultilibCandidate } from '../../core/multilib.js';

const pkg = (name: string, o: { arch?: string; provides?: string[]; files?: string[] } = {}): MultilibCandidate => ({
  name,
  arch: o.arch ?? 'i686',
  provides: (o.provides ?? []).map((n) => ({ name: n })),
  files: o.files ?? [],
});

describe('multilib rules', () => {
  it('compatible arches', () => {
    assert.deepEqual(compatArches('x86_64').slice(0, 2), ['i686', 'i586']);
    assert.deepEqual(compatArches('ppc64'), ['ppc']);
    assert.deepEqual(compatArches('s390x'), ['s390']);
    assert.deepEqual(compatArches('aarch64'), []);
  });

  it('none selects nothing; all selects every arch package but noarch, source and debug ones', () => {
    assert.equal(multilibMethodFor(pkg('foo'), ['none']), null);
    assert.equal(multilibMethodFor(pkg('foo'), []), null);
    assert.equal(multilibMethodFor(pkg('foo'), ['all']), 'all');
    assert.equal(multilibMethodFor(pkg('foo', { arch: 'noarch' }), ['all']), null);
    assert.equal(multilibMethodFor(pkg('foo-debuginfo'), ['all']), null);
    assert.equal(multilibMethodFor(pkg('foo-debugsource'), ['all']), null);
  });

  it('runtime: a library in a lib dir counts only when its soname is provided', () => {
    const lib = pkg('libfoo', { files: ['/usr/lib/libfoo.so.1', '/usr/lib/libfoo.so.1.2.3'], provides: ['libfoo.so.1'] });
    assert.equal(multilibMethodFor(lib, ['runtime']), 'runtime');
    const priv = pkg('app', { files: ['/usr/lib/libprivate.so.1'] });
    assert.equal(multilibMethodFor(priv, ['runtime']), null);
    const elsewhere = pkg('other', { files: ['/usr/share/foo/libx.so.1'], provides: ['libx.so.1'] });
    assert.equal(multilibMethodFor(elsewhere, ['runtime']), null);
    const scl = pkg('scl-lib', { files: ['/opt/rh/foo/root/usr/lib/libscl.so.2'], provides: ['libscl.so.2'] });
    assert.equal(multilibMethodFor(scl, ['runtime']), 'runtime');
  });

  it('runtime: plug-in directories and ld.so.conf.d select any file; binaries alone do not', () => {
    assert.equal(multilibMethodFor(pkg('pam_foo', { files: ['/usr/lib/security/pam_foo.so'] }), ['runtime']), 'runtime');
    assert.equal(multilibMethodFor(pkg('mesa-dri', { files: ['/usr/lib/dri/x_dri.so'] }), ['runtime']), 'runtime');
    assert.equal(multilibMethodFor(pkg('mysql-libs', { files: ['/etc/ld.so.conf.d/mysql-i386.conf'] }), ['runtime']), 'runtime');
    assert.equal(multilibMethodFor(pkg('tool', { files: ['/usr/bin/tool'] }), ['runtime']), null);
  });

  it('runtime: whitelist, blacklist and the kernel', () => {
    assert.equal(multilibMethodFor(pkg('wine'), ['runtime']), 'runtime');
    assert.equal(multilibMethodFor(pkg('tomcat-native', { files: ['/usr/lib/libtcnative-1.so.0'], provides: ['libtcnative-1.so.0'] }), ['runtime']), null);
    assert.equal(multilibMethodFor(pkg('kernel-foo', { provides: ['kernel'], files: ['/lib/security/x'] }), ['runtime']), null);
  });

  it('devel: -devel and -static by name or provides; not kernel-devel or ghc-*', () => {
    assert.equal(multilibMethodFor(pkg('foo-devel'), ['devel']), 'devel');
    assert.equal(multilibMethodFor(pkg('foo-static'), ['devel']), 'devel');
    assert.equal(multilibMethodFor(pkg('foo-headers', { provides: ['foo-devel'] }), ['devel']), 'devel');
    assert.equal(multilibMethodFor(pkg('kernel-devel', { provides: ['kernel-devel'] }), ['devel']), null);
    assert.equal(multilibMethodFor(pkg('ghc-foo-devel'), ['devel']), null);
    assert.equal(multilibMethodFor(pkg('foo'), ['devel']), null);
  });

  it('several methods: the first that selects wins; only runtime needs file lists', () => {
    const lib = pkg('foo-devel', { files: ['/usr/lib/libfoo.so.1'], provides: ['libfoo.so.1'] });
    assert.equal(multilibMethodFor(lib, ['devel', 'runtime']), 'devel');
    assert.equal(multilibMethodFor(lib, ['runtime', 'devel']), 'runtime');
    assert.equal(needsFileLists(['devel', 'runtime']), true);
    assert.equal(needsFileLists(['devel', 'all']), false);
  });

  it('the compatible arches a compose needs: only for its arches named in multilib_arches, only when a method selects', () => {
    assert.deepEqual(activeMultilibMethods(['none', 'devel', 'bogus', 'all']), ['devel', 'all']);
    assert.deepEqual(neededCompatArches(['x86_64', 'aarch64'], ['x86_64'], ['runtime']), compatArches('x86_64'));
    assert.deepEqual(neededCompatArches(['x86_64', 's390x'], ['x86_64', 's390x', 'ppc64'], ['devel']), [...compatArches('x86_64'), 's390']);
    assert.deepEqual(neededCompatArches(['x86_64'], ['x86_64'], ['none']), []);
    assert.deepEqual(neededCompatArches(['x86_64'], ['x86_64'], []), []);
    assert.deepEqual(neededCompatArches(['aarch64'], ['x86_64'], ['all']), []);
  });

  it("Koji's canonical arch names a tag repository's arch directory", () => {
    for (const a of ['i386', 'i486', 'i586', 'i686', 'athlon']) assert.equal(kojiRepoArch(a), 'i386');
    assert.equal(kojiRepoArch('x86_64'), 'x86_64');
    assert.equal(kojiRepoArch('aarch64'), 'aarch64');
    assert.equal(kojiRepoArch('ppc64le'), 'ppc64le');
    assert.equal(kojiRepoArch('ppc64p7'), 'ppc64');
    assert.equal(kojiRepoArch('armv7hl'), 'armhfp');
    assert.equal(kojiRepoArch('armv5tel'), 'arm');
    assert.equal(kojiRepoArch('sparcv9'), 'sparc');
    assert.equal(kojiRepoArch('s390'), 's390');
  });
});
