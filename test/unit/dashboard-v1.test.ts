// The v1 views' regrouping: primary packages are the user's own, group_packages the packages each
// of the query's groups carries (a user view asks for the user's groups).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assembleDashboard, resolvePackages, type RowLike } from '../../core/providers/dashboard.js';
import { dashboardV1, groupPackages } from '../../core/providers/dashboard-v1.js';
import { intervalsWithDefaults } from '../../core/providers/registry.js';

const now = Date.now();
const rows = new Map<string, RowLike>([
  ['packages_owners_json\u0000', { data: { packages: [], packagers: [] }, time_created: new Date(now), time_requested: null }],
  ['packages_owners_json\u0000alice', { data: ['bar', 'foo'], time_created: new Date(now), time_requested: null }],
  ['pagure_groups\u0000', { data: { groups: ['kde', 'python'], user_groups: { alice: ['kde', 'python'] } }, time_created: new Date(now), time_requested: null }],
  ['pagure_groups\u0000kde', { data: { commit: ['baz'], admin: [] }, time_created: new Date(now), time_requested: null }],
  ['pagure_groups\u0000python', { data: { commit: ['foo'], admin: ['qux'] }, time_created: new Date(now), time_requested: null }],
]);
const lookup = (p: string, a: string) => rows.get(`${p}\u0000${a}`);

test('group_packages: each group of the view with its packages; primary_packages the user\'s own', () => {
  const q = { users: ['alice'], groups: ['kde', 'python'], packages: [], requiredAcl: 'commit' as const };
  const resolved = resolvePackages(q, lookup);
  assert.deepEqual(groupPackages(resolved), { kde: ['baz'], python: ['foo', 'qux'] });
  const { body } = assembleDashboard(q, resolved, lookup, { intervals: intervalsWithDefaults({}), now, touchEverySeconds: 3600 });
  const v1 = dashboardV1(body, resolved, lookup, { user: 'alice', disabled: new Set() });
  assert.deepEqual(v1.static_info.data.packages, ['bar', 'baz', 'foo', 'qux']);
  assert.deepEqual(v1.static_info.data.primary_packages, ['bar', 'foo']);
  assert.deepEqual(v1.static_info.data.group_packages, { kde: ['baz'], python: ['foo', 'qux'] });
});

test('group_packages is empty without groups (a package view, a user in no group)', () => {
  const q = { users: [], groups: [], packages: ['foo'], requiredAcl: 'commit' as const };
  assert.deepEqual(groupPackages(resolvePackages(q, lookup)), {});
});
