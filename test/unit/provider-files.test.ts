// Pure rules of the file-shaped providers: the landing page's current event, RFC 3339 times with
// nanoseconds, and the orphan graph of a package.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { landingSchedule, orphanItems, parseRfc3339 } from '../../core/providers/files.js';

test('landing schedule: sorted by date, the first event not yet past is current', () => {
  const events = [
    { summary: 'Final Target', date: '2025-10-28' },
    { summary: 'Branch', date: '2025-08-12' },
    { summary: 'Beta Freeze', date: '2025-08-19' },
  ];
  assert.deepEqual(landingSchedule(events, new Date('2025-08-19T23:00:00Z')), [
    { summary: 'Branch', date: '2025-08-12', current: false },
    { summary: 'Beta Freeze', date: '2025-08-19', current: true },
    { summary: 'Final Target', date: '2025-10-28', current: false },
  ]);
  assert.deepEqual(landingSchedule(events, new Date('2025-08-20T00:00:00Z')).map((e) => e.current), [false, false, true]);
  assert.deepEqual(landingSchedule(events, new Date('2026-01-01T00:00:00Z')).map((e) => e.current), [false, false, true], 'all past: the last one');
  assert.deepEqual(landingSchedule([], new Date()), []);
});

test('RFC 3339 with nanoseconds', () => {
  assert.equal(parseRfc3339('2024-05-01T10:00:00.123456789Z')!.toISOString(), '2024-05-01T10:00:00.123Z');
  assert.equal(parseRfc3339('2024-04-20T06:30:00.000000001+02:00')!.toISOString(), '2024-04-20T04:30:00.000Z');
  assert.equal(parseRfc3339('2024-05-01T10:00:00Z')!.toISOString(), '2024-05-01T10:00:00.000Z');
  assert.equal(parseRfc3339('2024-05-01T10:00:00.1234567890Z'), null, 'ten digits');
  assert.equal(parseRfc3339('yesterday'), null);
});

test('orphan graph: direct, remote, cycles, earliest problem', () => {
  const items = orphanItems({
    status_change: { a: '2024-01-02T00:00:00', b: '2024-01-01T00:00:00', c: '2024-03-01T00:00:00.250000' },
    // find_unblocked_orphans.py --json: each package of a chain to what it needs directly.
    // x needs a; a needs b; b needs a (a cycle); y needs b; c is orphaned and needed by nobody.
    affected_packages: { a: ['b'], b: ['a'], c: [], x: ['a'], y: ['b'] },
  });
  const x = items.get('x')!;
  assert.deepEqual([x.orphaned, x.depends_on_orphaned, x.direct_dependencies, x.remote_dependencies], [false, true, ['a'], ['b']]);
  assert.equal(x.problematic_since, '2024-01-01 00:00:00');
  const a = items.get('a')!;
  assert.deepEqual([a.orphaned, a.orphaned_since, a.direct_dependencies, a.remote_dependencies], [true, '2024-01-02 00:00:00', ['b'], []]);
  const c = items.get('c')!;
  assert.deepEqual([c.orphaned, c.depends_on_orphaned, c.orphaned_since, c.problematic_since], [true, false, '2024-03-01 00:00:00', '2024-03-01 00:00:00']);
  assert.deepEqual([...items.keys()].sort(), ['a', 'b', 'c', 'x', 'y']);
});
