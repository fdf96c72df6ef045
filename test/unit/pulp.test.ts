import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMPOSE_FLAGS } from '../../core/flags.js';
import { pulpRepoFileText, resolvePulpContentSets } from '../../core/pulp.js';

const config = {
  a: [{ url: 'http://x/a', arches: ['x86_64'] }],
  b: [{ url: 'http://x/b-old', published: false }, { url: 'http://x/b' }],
  c: [{ url: 'http://x/c', published: false }],
};

test('content sets resolve to their first usable repository', () => {
  assert.deepEqual(resolvePulpContentSets(['a', 'b', 'c', 'd'], config, 0, ['x86_64']), {
    sections: [
      { contentSet: 'a', url: 'http://x/a' },
      { contentSet: 'b', url: 'http://x/b' },
    ],
    missing: ['c', 'd'],
  });
  const withUnpublished = resolvePulpContentSets(['b', 'c'], config, COMPOSE_FLAGS.include_unpublished_pulp_repos, ['x86_64']);
  assert.deepEqual(withUnpublished.sections.map((s) => s.url), ['http://x/b-old', 'http://x/c']);
  assert.deepEqual(resolvePulpContentSets(['a'], config, COMPOSE_FLAGS.use_only_compatible_arch, ['ppc64le']).missing, ['a']);
});

test('the .repo text, with skip_if_unavailable under use_only_compatible_arch', () => {
  const sections = [{ contentSet: 'a', url: 'http://x/a' }];
  assert.equal(pulpRepoFileText(sections, 0), '[a]\nname=a\nbaseurl=http://x/a\nenabled=1\ngpgcheck=0\n');
  assert.equal(pulpRepoFileText(sections, COMPOSE_FLAGS.use_only_compatible_arch), '[a]\nname=a\nbaseurl=http://x/a\nenabled=1\ngpgcheck=0\nskip_if_unavailable=1\n');
});
