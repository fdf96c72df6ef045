import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPool, solve, type ArchSolution } from '../../activities/generate/depsolve.js';
import { parseRich } from '../../activities/generate/richdep.js';
import { flagFromOp, parseEVR } from '../../activities/generate/rpmvercmp.js';
import type { Dep, PackageRecord } from '../../activities/generate/types.js';

/** "foo >= 1:2.0-1" → Dep, like createrepo_c writes it into primary. */
function dep(text: string): Dep {
  if (text.startsWith('(')) return { name: text };
  const [name, op, evr] = text.split(/\s+/);
  if (!op) return { name };
  const e = parseEVR(evr);
  return { name, flags: flagFromOp(op), epoch: e.epoch ?? '0', version: e.version, release: e.release };
}

function pkg(spec: string, o: { requires?: string[]; provides?: string[]; files?: string[]; repo?: string } = {}): PackageRecord {
  // "name-[epoch:]version-release.arch"
  const m = /^(.+)-(?:(\d+):)?([^-]+)-([^-]+)\.([^.]+)$/.exec(spec);
  if (!m) throw new Error(`bad spec ${spec}`);
  const [, name, epoch = '0', version, release, arch] = m;
  const href = `${name}-${version}-${release}.${arch}.rpm`;
  return {
    name, epoch, version, release, arch, href,
    location: `/${o.repo ?? 'repo'}/${href}`,
    repo: `/${o.repo ?? 'repo'}`,
    size: 100,
    provides: [{ name, flags: 'EQ', epoch, version, release }, ...(o.provides ?? []).map(dep)],
    requires: (o.requires ?? []).map(dep),
    files: o.files ?? [],
  };
}

const names = (s: ArchSolution) => s.selected.map((p) => `${p.name}-${p.version}.${p.arch}`);
const run = (sources: PackageRecord[][], packages: string[], o: { arch?: string; noDeps?: boolean; lookaside?: PackageRecord[][] } = {}) =>
  solve(buildPool(sources, o.lookaside), { arch: o.arch ?? 'x86_64', packages, noDeps: o.noDeps ?? false });

describe('depsolve: closure', () => {
  const repo = [
    pkg('app-1.2-1.noarch', { requires: ['lib >= 1.0', '/usr/bin/tool'] }),
    pkg('lib-1.1-1.x86_64', { requires: ['data'] }),
    pkg('lib-1.1-1.aarch64', { requires: ['data'] }),
    pkg('data-1.0-1.noarch'),
    pkg('tools-2.0-1.noarch', { files: ['/usr/bin/tool'] }),
    pkg('unrelated-1.0-1.noarch'),
    pkg('app-1.2-1.src'),
  ];

  it('pulls versioned, transitive and file requires', () => {
    const s = run([repo], ['app']);
    assert.deepEqual(names(s), ['app-1.2.noarch', 'data-1.0.noarch', 'lib-1.1.x86_64', 'tools-2.0.noarch']);
    assert.deepEqual(s.unresolved, []);
    assert.deepEqual(s.missing, []);
  });

  it('uses the other arch for another tree and never src rpms', () => {
    const s = run([repo], ['app'], { arch: 'aarch64' });
    assert.deepEqual(names(s), ['app-1.2.noarch', 'data-1.0.noarch', 'lib-1.1.aarch64', 'tools-2.0.noarch']);
    assert.ok(!s.selected.some((p) => p.arch === 'src'));
  });

  it('noDeps gives only the requested packages but still reports their unresolved requires', () => {
    const s = run([repo], ['app'], { noDeps: true });
    assert.deepEqual(names(s), ['app-1.2.noarch']);
    assert.deepEqual(s.unresolved.map((u) => `${u.package.name} requires ${u.requirement}`), ['app requires /usr/bin/tool', 'app requires lib >= 1.0']);
  });

  it('empty request means every package of the arch', () => {
    const s = run([repo], []);
    assert.deepEqual(names(s), ['app-1.2.noarch', 'data-1.0.noarch', 'lib-1.1.x86_64', 'tools-2.0.noarch', 'unrelated-1.0.noarch']);
  });

  it('reports requested names missing for the arch', () => {
    const s = run([[...repo, pkg('armonly-1-1.aarch64')]], ['app', 'zzz', 'armonly']);
    assert.deepEqual(s.missing, ['armonly', 'zzz']);
  });

  it('reports an unsatisfiable versioned require naming package and requirement', () => {
    const s = run([[pkg('app-1-1.noarch', { requires: ['lib >= 2.0'] }), pkg('lib-1.1-1.noarch')]], ['app']);
    assert.deepEqual(names(s), ['app-1.noarch']);
    assert.deepEqual(s.unresolved.map((u) => [u.package.name, u.requirement]), [['app', 'lib >= 2.0']]);
  });

  it('handles dependency cycles', () => {
    const s = run([[pkg('a-1-1.noarch', { requires: ['b'] }), pkg('b-1-1.noarch', { requires: ['a'] })]], ['a']);
    assert.deepEqual(names(s), ['a-1.noarch', 'b-1.noarch']);
  });
});

describe('depsolve: versions and precedence', () => {
  it('picks the highest EVR per name+arch within a repo', () => {
    const r = [pkg('foo-1.0-1.noarch'), pkg('foo-1.10-1.noarch'), pkg('foo-1.9-5.noarch'), pkg('bar-1:0.1-1.noarch'), pkg('bar-2.0-1.noarch')];
    assert.deepEqual(names(run([r], ['foo', 'bar'])), ['bar-0.1.noarch', 'foo-1.10.noarch']);
  });

  it('an earlier repo shadows a name in later repos even if older', () => {
    const first = [pkg('foo-1.0-1.noarch', { repo: 'a' })];
    const second = [pkg('foo-9.0-1.noarch', { repo: 'b' }), pkg('foo-9.0-1.x86_64', { repo: 'b' }), pkg('bar-1-1.noarch', { repo: 'b' })];
    const s = run([first, second], ['foo', 'bar']);
    assert.deepEqual(names(s), ['bar-1.noarch', 'foo-1.0.noarch']);
    assert.equal(s.selected.find((p) => p.name === 'foo')!.repo, '/a');
    assert.deepEqual(names(run([second, first], ['foo'])), ['foo-9.0.x86_64']);
  });

  it('shadowing makes a versioned dependency unresolvable when the winner is too old', () => {
    const first = [pkg('lib-1.0-1.noarch', { repo: 'a' }), pkg('app-1-1.noarch', { repo: 'a', requires: ['lib >= 2'] })];
    const second = [pkg('lib-2.0-1.noarch', { repo: 'b' })];
    assert.equal(run([first, second], ['app']).unresolved[0].requirement, 'lib >= 2');
  });

  it('prefers a provider named like the requirement, then repo precedence', () => {
    const r1 = [pkg('app-1-1.noarch', { requires: ['mail'] }), pkg('postfix-1-1.noarch', { provides: ['mail'] })];
    const r2 = [pkg('aaa-1-1.noarch', { provides: ['mail'], repo: 'b' }), pkg('mail-1-1.noarch', { repo: 'b' })];
    assert.deepEqual(names(run([r1, r2], ['app'])), ['app-1.noarch', 'mail-1.noarch']);
    const r3 = [pkg('aaa-1-1.noarch', { provides: ['mail'], repo: 'b' })];
    assert.deepEqual(names(run([r1, r3], ['app'])), ['app-1.noarch', 'postfix-1.noarch']);
  });

  it('satisfies versioned requires through virtual provides', () => {
    const r = [pkg('app-1-1.noarch', { requires: ['webserver >= 2'] }), pkg('old-1-1.noarch', { provides: ['webserver = 1'] }), pkg('new-1-1.noarch', { provides: ['webserver = 2.4'] })];
    assert.deepEqual(names(run([r], ['app'])), ['app-1.noarch', 'new-1.noarch']);
  });
});

describe('depsolve: lookaside', () => {
  it('lookaside satisfies deps and is never selected', () => {
    const src = [pkg('app-1-1.noarch', { requires: ['base-virtual', 'lib'] }), pkg('lib-1-1.noarch'), pkg('base-1-1.noarch', { provides: ['base-virtual'] })];
    const look = [pkg('base-1-1.noarch', { provides: ['base-virtual'], repo: 'look' }), pkg('lib-1-1.noarch', { repo: 'look' })];
    const s = run([src], ['app'], { lookaside: [look] });
    assert.deepEqual(names(s), ['app-1.noarch']);
    assert.deepEqual(s.unresolved, []);
  });

  it('a lookaside package of the wrong arch does not count', () => {
    const s = run([[pkg('app-1-1.noarch', { requires: ['lib'] })]], ['app'], { lookaside: [[pkg('lib-1-1.aarch64', { repo: 'look' })]] });
    assert.deepEqual(s.unresolved.map((u) => u.requirement), ['lib']);
  });
});

describe('depsolve: rich dependencies', () => {
  it('parses nested expressions and names with parentheses', () => {
    assert.deepEqual(parseRich('(foo(x86-64) >= 1.0 or (bar if baz))'), {
      op: 'or',
      args: [
        { op: 'dep', dep: { name: 'foo(x86-64)', flags: 'GE', epoch: undefined, version: '1.0', release: undefined } },
        { op: 'if', then: { op: 'dep', dep: { name: 'bar' } }, cond: { op: 'dep', dep: { name: 'baz' } }, else: undefined },
      ],
    });
    assert.throws(() => parseRich('(a or b and c)'), /cannot mix/);
    assert.throws(() => parseRich('(a or b'), /invalid rich dependency/);
  });

  it('or: takes the first installable alternative', () => {
    const r = [pkg('app-1-1.noarch', { requires: ['(missing or helper-b or helper-c)'] }), pkg('helper-b-1-1.noarch'), pkg('helper-c-1-1.noarch')];
    assert.deepEqual(names(run([r], ['app'])), ['app-1.noarch', 'helper-b-1.noarch']);
  });

  it('or: an already selected alternative satisfies it', () => {
    const r = [pkg('app-1-1.noarch', { requires: ['(helper-b or helper-c)'] }), pkg('helper-b-1-1.noarch'), pkg('helper-c-1-1.noarch')];
    assert.deepEqual(names(run([r], ['app', 'helper-c'])), ['app-1.noarch', 'helper-c-1.noarch']);
  });

  it('and: needs all operands', () => {
    const r = [pkg('app-1-1.noarch', { requires: ['(a and b >= 2)'] }), pkg('a-1-1.noarch'), pkg('b-1-1.noarch')];
    const s = run([r], ['app']);
    assert.deepEqual(names(s), ['a-1.noarch', 'app-1.noarch']);
    assert.deepEqual(s.unresolved.map((u) => u.requirement), ['(a and b >= 2)']);
  });

  it('if: applies once the condition is selected, even later in the walk', () => {
    const r = [
      pkg('app-1-1.noarch', { requires: ['(app-lang if langpack)', 'zzz'] }),
      pkg('zzz-1-1.noarch', { requires: ['langpack'] }),
      pkg('langpack-1-1.noarch'),
      pkg('app-lang-1-1.noarch'),
    ];
    assert.deepEqual(names(run([r], ['app'])), ['app-1.noarch', 'app-lang-1.noarch', 'langpack-1.noarch', 'zzz-1.noarch']);
    const noCond = [pkg('app-1-1.noarch', { requires: ['(app-lang if langpack)'] }), pkg('langpack-1-1.noarch'), pkg('app-lang-1-1.noarch')];
    assert.deepEqual(names(run([noCond], ['app'])), ['app-1.noarch']);
  });

  it('if/else and unless', () => {
    const r = [pkg('app-1-1.noarch', { requires: ['(a if cond else b)', '(c unless cond)'] }), pkg('a-1-1.noarch'), pkg('b-1-1.noarch'), pkg('c-1-1.noarch'), pkg('cond-1-1.noarch')];
    assert.deepEqual(names(run([r], ['app'])), ['app-1.noarch', 'b-1.noarch', 'c-1.noarch']);
    assert.deepEqual(names(run([r], ['app', 'cond'])), ['a-1.noarch', 'app-1.noarch', 'cond-1.noarch']);
  });

  it('with: one package must satisfy both', () => {
    const r = [
      pkg('app-1-1.noarch', { requires: ['(font with font-lang = de)'] }),
      pkg('font-en-1-1.noarch', { provides: ['font', 'font-lang = en'] }),
      pkg('font-de-1-1.noarch', { provides: ['font', 'font-lang = de'] }),
    ];
    assert.deepEqual(names(run([r], ['app'])), ['app-1.noarch', 'font-de-1.noarch']);
  });

  it('a malformed rich dependency is reported, not thrown', () => {
    const s = run([[pkg('app-1-1.noarch', { requires: ['(a or'] })]], ['app']);
    assert.deepEqual(s.unresolved.map((u) => u.requirement), ['(a or']);
  });
});

describe('depsolve: file requires', () => {
  it('resolves via file lists and via path provides', () => {
    const r = [
      pkg('app-1-1.noarch', { requires: ['/bin/sh', '/usr/libexec/helper'] }),
      pkg('bash-5-1.x86_64', { files: ['/bin/sh', '/usr/bin/bash'] }),
      pkg('helper-1-1.noarch', { provides: ['/usr/libexec/helper'] }),
    ];
    assert.deepEqual(names(run([r], ['app'])), ['app-1.noarch', 'bash-5.x86_64', 'helper-1.noarch']);
  });
});
