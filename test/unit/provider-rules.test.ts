// Pure rules of the provider caches: the /api/v1/releases body, release labels, item rules
// (priority_severity, dates, stable_by_time, ABRT outliers), registry and configuration.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig, parseDurationSeconds } from '../../core/config.js';
import { abrtDateRange, abrtOutliers, normalizeDate, prioritySeverity, stableByTime } from '../../core/providers/items.js';
import {
  GLOBAL_PROVIDERS,
  isStale,
  intervalsWithDefaults,
  maxAgeSeconds,
  PROVIDERS,
  PROVIDER_NAMES,
  REFRESH_PHASES,
  refreshWorkflowId,
  resolveProviderName,
} from '../../core/providers/registry.js';
import { computeReleases, labelOrder, nvrName, ReleaseLabels, ReleasesError } from '../../core/providers/releases.js';
import { bodhiRelease, smallFedora } from '../fixtures/upstreams.js';

test('releases: stable, branched, rawhide, values ascending ending with rawhide, epel', () => {
  const { api, releases } = computeReleases(smallFedora().releases);
  assert.deepEqual(api, {
    fedora: { stable: 41, branched: 42, rawhide: 43, values: [40, 41, 42, 43], branched_frozen: true },
    epel: [8, 9],
  });
  assert.deepEqual(Object.keys(api.fedora), ['stable', 'branched', 'rawhide', 'values', 'branched_frozen']);
  assert.deepEqual(
    releases.map((r) => r.label),
    ['Fedora 40', 'Fedora 41', 'Fedora 42', 'Fedora Rawhide', 'Fedora ELN', 'EPEL 8', 'EPEL 9'],
  );
  // Bodhi's stable_tag, the Koji tag package versions ask (Rawhide's is its dist tag).
  assert.deepEqual(
    releases.map((r) => r.stable_tag),
    ['f40-updates', 'f41-updates', 'f42-updates', 'f43', 'eln', 'epel8', 'epel9'],
  );
});

test('releases: branched is null when there is no branched release', () => {
  const { api } = computeReleases([bodhiRelease('F41', 'current'), bodhiRelease('F42', 'pending', { branch: 'rawhide' }), bodhiRelease('EPEL-10.1', 'current')]);
  assert.deepEqual(api, { fedora: { stable: 41, branched: null, rawhide: 42, values: [41, 42], branched_frozen: false }, epel: [10] });
});

test('releases: no Fedora release at all is an error, not an empty body', () => {
  assert.throws(() => computeReleases([bodhiRelease('EPEL-9', 'current')]), ReleasesError);
});

test('release labels for every upstream naming', () => {
  const labels = new ReleaseLabels(computeReleases(smallFedora().releases));
  assert.equal(labels.bugzilla('Fedora', 'rawhide'), 'Fedora Rawhide');
  assert.equal(labels.bugzilla('Fedora', '41'), 'Fedora 41');
  assert.equal(labels.bugzilla('Fedora', undefined), 'Fedora');
  assert.equal(labels.bugzilla('Fedora', 'unspecified'), 'Fedora');
  assert.equal(labels.bugzilla('Fedora EPEL', '9'), 'EPEL 9');
  assert.equal(labels.bugzilla('Fedora EPEL', 'unspecified'), 'EPEL');
  assert.equal(labels.branch('rawhide'), 'Fedora Rawhide');
  assert.equal(labels.branch('f43'), 'Fedora Rawhide'); // rawhide's number
  assert.equal(labels.branch('f41'), 'Fedora 41');
  assert.equal(labels.branch('epel9'), 'EPEL 9');
  assert.equal(labels.branch('epel10.1'), 'EPEL 10');
  assert.equal(labels.branch('eln'), 'Fedora ELN');
  assert.equal(labels.nvr('foo-1-1.fc41'), 'Fedora 41');
  assert.equal(labels.nvr('foo-1-1.fc43'), 'Fedora Rawhide');
  assert.equal(labels.nvr('foo-1-1.el9_4'), 'EPEL 9');
  assert.equal(labels.nvr('foo-1-1.eln140'), 'Fedora ELN');
  assert.equal(labels.bodhi({ name: 'EPEL-9', version: '9', id_prefix: 'FEDORA-EPEL' }), 'EPEL 9');
  assert.equal(labels.bodhi({ name: 'F43', version: '43', id_prefix: 'FEDORA', branch: 'rawhide' }), 'Fedora Rawhide');
  assert.equal(nvrName('python-foo-bar-1.2-3.fc41'), 'python-foo-bar');
  assert.ok(labelOrder('Fedora 41') < labelOrder('Fedora Rawhide') && labelOrder('Fedora ELN') < labelOrder('EPEL 8'));
});

test('priority_severity is the higher of the two', () => {
  assert.equal(prioritySeverity('unspecified', 'high'), 'high');
  assert.equal(prioritySeverity('urgent', 'low'), 'urgent');
  assert.equal(prioritySeverity('low', 'medium'), 'medium');
  assert.equal(prioritySeverity('weird', 'unspecified'), 'unspecified');
});

test('dates: ISO, Bodhi and epoch forms all become YYYY-MM-DD HH:MM:SS UTC', () => {
  assert.equal(normalizeDate('2024-05-01T10:00:00Z'), '2024-05-01 10:00:00');
  assert.equal(normalizeDate('2024-05-01 10:00:00'), '2024-05-01 10:00:00');
  assert.equal(normalizeDate('1714557600'), '2024-05-01 10:00:00');
  assert.equal(normalizeDate(null), null);
  assert.equal(normalizeDate('garbage'), null);
});

test('stable_by_time: date_testing + stable_days for autotime updates in testing, null otherwise', () => {
  assert.equal(stableByTime({ status: 'testing', autotime: true, stable_days: 7, date_testing: '2024-05-01 12:00:00' }), '2024-05-08 12:00:00');
  assert.equal(stableByTime({ status: 'testing', autotime: false, stable_days: 7, date_testing: '2024-05-01 12:00:00' }), null);
  assert.equal(stableByTime({ status: 'pending', autotime: true, stable_days: 7, date_testing: null }), null);
});

test('ABRT: outliers above mean + 2.7 sigma; 30-day retrace window', () => {
  const problems = smallFedora().faf.foo;
  assert.deepEqual(abrtOutliers(problems).map((p) => p.id), [11]);
  assert.deepEqual(abrtOutliers([{ count: 3 }]), []);
  assert.deepEqual(abrtOutliers([{ count: 3 }, { count: 3 }]), []);
  assert.equal(abrtDateRange(new Date('2024-05-31T15:00:00Z')), '2024-05-01:2024-05-31');
});

test('registry: phases cover every provider once, after their dependencies', () => {
  const flat = REFRESH_PHASES.flat();
  assert.deepEqual([...flat].sort(), [...PROVIDER_NAMES].sort());
  const phaseOf = (p: string) => REFRESH_PHASES.findIndex((ph) => ph.includes(p as never));
  for (const p of PROVIDER_NAMES) for (const dep of PROVIDERS[p].dependsOn) assert.ok(phaseOf(dep) < phaseOf(p), `${dep} before ${p}`);
  assert.equal(phaseOf('fedora_releases'), 0);
  assert.equal(resolveProviderName('prs'), 'packager_dashboard_package_prs');
  assert.equal(resolveProviderName('nope'), null);
  assert.equal(refreshWorkflowId('q', 'packager_dashboard_package_prs', 'foo'), 'oraculum-refresh-q-packager_dashboard_package_prs-foo');
  assert.equal(GLOBAL_PROVIDERS.length, 9);
  assert.equal(resolveProviderName('calendars'), 'package_calendars');
});

test('staleness: a quarter interval of grace for scheduled data', () => {
  const intervals = intervalsWithDefaults({ bodhi_updates: 3600 });
  assert.equal(maxAgeSeconds('bodhi_updates', intervals), 4500);
  assert.equal(maxAgeSeconds('fedora_releases', intervals), 9000);
  const now = Date.parse('2024-05-01T12:00:00Z');
  assert.equal(isStale(null, 'bodhi_updates', intervals, now), true);
  assert.equal(isStale(new Date(now - 4000_000), 'bodhi_updates', intervals, now), false);
  assert.equal(isStale(new Date(now - 4600_000), 'bodhi_updates', intervals, now), true);
});

test('config: provider variables, defaults and errors', () => {
  const c = loadConfig({}, '/');
  assert.equal(c.providers.urls.bodhi, 'https://bodhi.fedoraproject.org');
  assert.equal(c.providers.urls.faf, 'https://retrace.fedoraproject.org/faf');
  assert.equal(c.providers.intervals.bodhi_updates, 7200);
  assert.equal(c.providers.intervals.garbage_collection, 6 * 3600);
  assert.equal(c.providers.taskQueue, 'default-providers');
  const d = loadConfig({ PROVIDER_INTERVALS: '{"bodhi_updates": "30m", "fedora_releases": 600, "garbage_collection": "1d"}', BODHI_URL: 'http://x/bodhi/' }, '/');
  assert.equal(d.providers.intervals.bodhi_updates, 1800);
  assert.equal(d.providers.intervals.fedora_releases, 600);
  assert.equal(d.providers.intervals.garbage_collection, 86400);
  assert.equal(d.providers.urls.bodhi, 'http://x/bodhi');
  for (const bad of ['not json', '[]', '{"nope": 5}', '{"bodhi_updates": "soon"}', '{"bodhi_updates": 0}']) {
    assert.throws(() => loadConfig({ PROVIDER_INTERVALS: bad }, '/'), /invalid configuration: PROVIDER_INTERVALS=/, bad);
  }
  assert.equal(parseDurationSeconds('2h'), 7200);
  assert.equal(parseDurationSeconds('90'), 90);
});
