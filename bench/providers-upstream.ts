// The benchmark's fake Fedora, in its own process so that its memory and CPU are not counted as
// odcs-flow's: 30,000 packages, 500 users, 200 groups by default, generated from a fixed seed.
// Prints one JSON line {"env": {...}} once listening; GET /__stats gives answers by status,
// GET /__log?after=<seq> the requests served.
import { bodhiOverride, bodhiRelease, bodhiUpdate, ftiBroken, startFakeUpstreams, type FixtureData } from '../test/fixtures/upstreams.js';
import { mulberry32 } from './lib.js';

export interface LargeFedoraOptions {
  packages: number;
  users: number;
  groups: number;
  /** Packages of user0000, the dashboard benchmark's user. */
  heavyUserPackages: number;
}


export const userName = (i: number) => `user${String(i).padStart(4, '0')}`;
export const packageName = (i: number) => `pkg-${String(i).padStart(5, '0')}`;

export function largeFedora(o: LargeFedoraOptions): FixtureData {
  const r = mulberry32(42);
  const pick = (n: number) => Math.floor(r() * n);
  const f40 = bodhiRelease('F40', 'current');
  const f41 = bodhiRelease('F41', 'current');
  const f42 = bodhiRelease('F42', 'pending', { branch: 'rawhide' });
  const epel9 = bodhiRelease('EPEL-9', 'current');
  const releases = [f40, f41, f42, epel9, bodhiRelease('EPEL-8', 'current')];
  const pkgs = Array.from({ length: o.packages }, (_, i) => packageName(i));
  const owners: Record<string, string[]> = {};
  pkgs.forEach((p, i) => {
    const set = new Set<string>();
    if (i < o.heavyUserPackages) set.add(userName(0));
    const n = 1 + pick(3);
    while (set.size < n) set.add(userName(1 + pick(o.users - 1)));
    owners[p] = [...set];
  });
  const groups: FixtureData['groups'] = {};
  for (let g = 0; g < o.groups; g++) {
    const n = 20 + pick(200);
    const commit = Array.from({ length: n }, () => pkgs[pick(pkgs.length)]);
    const members = [...new Set(Array.from({ length: 1 + pick(8) }, () => userName(pick(o.users))))];
    groups[`group${String(g).padStart(3, '0')}`] = { commit: [...new Set(commit)], admin: [...new Set(commit.slice(0, Math.ceil(n / 5)))], members };
  }
  const dist = (rel: typeof f40) => (rel.name.startsWith('EPEL') ? `el${rel.version}` : `fc${rel.version}`);
  const updates: FixtureData['updates'] = [];
  for (let i = 0; i < Math.round(o.packages / 10); i++) {
    const rel = [f40, f41, f42, epel9][pick(4)];
    const p = pkgs[pick(pkgs.length)];
    updates.push(
      bodhiUpdate(`FEDORA-2024-${i.toString(16).padStart(10, '0')}`, rel, [`${p}-1.${i}-1.${dist(rel)}`], {
        status: r() < 0.7 ? 'testing' : 'pending',
        comments: r() < 0.5 ? ['bodhi', userName(pick(o.users))] : [],
        karma: pick(3),
      }),
    );
  }
  const overrides = Array.from({ length: Math.round(o.packages / 60) }, (_, i) => bodhiOverride(`${pkgs[pick(pkgs.length)]}-2.${i}-1.fc41`));
  const koschei: FixtureData['koschei'] = [];
  for (const p of pkgs) {
    for (const collection of ['f42', 'f41']) {
      koschei.push({ name: p, collection, state: r() < 0.05 ? 'failing' : 'ok', last_complete_build: { task_id: 100000 + pick(900000) } });
    }
  }
  const mdapi: FixtureData['mdapi'] = { rawhide: {}, f41: {}, 'f41-updates': {}, f40: {}, 'f40-updates': {}, epel9: {}, epel8: {} };
  for (const p of pkgs) {
    mdapi.rawhide[p] = { version: '2.0', release: '1.fc42' };
    mdapi.f41[p] = { version: '1.0', release: '1.fc41' };
    if (r() < 0.5) mdapi['f41-updates'][p] = { version: '1.1', release: '1.fc41' };
    mdapi.f40[p] = { version: '0.9', release: '1.fc40' };
    if (r() < 0.3) mdapi.epel9[p] = { version: '0.8', release: '1.el9' };
  }
  const bugs: FixtureData['bugs'] = {};
  const prs: FixtureData['prs'] = {};
  const faf: FixtureData['faf'] = {};
  let bugId = 2_000_000;
  pkgs.forEach((p) => {
    if (r() < 0.2) {
      bugs[p] = Array.from({ length: 1 + pick(5) }, () => ({
        id: bugId++,
        summary: `${p} has a problem`,
        status: ['NEW', 'ASSIGNED', 'POST'][pick(3)],
        priority: 'unspecified',
        severity: ['low', 'medium', 'high'][pick(3)],
        keywords: [],
        product: r() < 0.8 ? 'Fedora' : 'Fedora EPEL',
        component: [p],
        version: ['rawhide'],
        creation_time: '2024-05-01T10:00:00Z',
        last_change_time: '2024-05-02T10:00:00Z',
        groups: [],
        comments: pick(10),
      }));
    }
    if (r() < 0.1) {
      prs[p] = Array.from({ length: 1 + pick(3) }, (_, i) => ({
        id: i + 1,
        title: `Update ${p}`,
        branch: 'rawhide',
        user: userName(pick(o.users)),
        date_created: '1714557600',
        last_updated: '1714644000',
        comments: pick(4),
        flags: [{ username: 'Zuul', status: 'success', date_created: '1714557700' }],
      }));
    }
    if (r() < 0.1) faf[p] = Array.from({ length: 1 + pick(12) }, (_, i) => ({ id: 1000 + i, count: 1 + pick(i === 0 ? 5000 : 20), crash_function: 'f' }));
  });
  // About 2% orphaned, each needed by a few others; fails-to-install for 3%; a calendar for 1%.
  const orphans: NonNullable<FixtureData['orphans']> = { status_change: {}, affected_packages: {} };
  const fti: NonNullable<FixtureData['fti']> = { rawhide: [], '41': [], '41-testing': [], '40': [], '40-testing': [] };
  const calendars: NonNullable<FixtureData['calendars']> = {};
  pkgs.forEach((p, i) => {
    if (r() < 0.02) {
      orphans.status_change[p] = '2024-04-01T08:00:00';
      orphans.affected_packages[p] ??= [];
      for (const dependent of Array.from({ length: pick(4) }, () => pkgs[pick(pkgs.length)])) {
        if (dependent !== p) (orphans.affected_packages[dependent] ??= []).push(p);
      }
    }
    if (r() < 0.03) {
      const key = ['rawhide', '41', '41-testing'][pick(3)];
      fti[key].push(ftiBroken(p, 'x86_64', 'x86_64', [`lib${i}.so()(64bit)`], '2024-05-01T10:00:00.123456789Z'));
    }
    if (r() < 0.01) calendars[p] = { name: `${p} upstream`, events: [{ summary: `${p} 2.0`, start: '20250301' }, { summary: `${p} 1.x EOL`, start: '20250901' }] };
  });
  const schedule = {
    name: 'Fedora 43 Key',
    events: ['Branch', 'Beta Freeze', 'Beta Target', 'Final Freeze', 'Final Target', 'EOL'].map((summary, i) => ({ summary, start: `2025${String(8 + Math.floor(i / 2)).padStart(2, '0')}1${i}` })),
  };
  return { releases, updates, overrides, owners, groups, koschei, mdapi, bugs, prs, faf, orphans, fti, schedule, calendars };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const num = (name: string, d: number) => Number(process.env[name] ?? d);
  const data = largeFedora({
    packages: num('BENCH_PROVIDERS_PACKAGES', 30_000),
    users: num('BENCH_PROVIDERS_USERS', 500),
    groups: num('BENCH_PROVIDERS_GROUPS', 200),
    heavyUserPackages: num('BENCH_PROVIDERS_HEAVY', 300),
  });
  // The request log lets the benchmark replay a refresh's requests as its baseline.
  const up = await startFakeUpstreams(data, { log: true });
  // The calendars are asked through Pagure's listing of their folder.
  up.env.CALENDARS_INDEX_URL = up.urls.calendarsIndex;
  // The packages of the first BENCH_PROVIDERS_REQUESTED_USERS users: those "asked for recently".
  const askers = new Set(Array.from({ length: num('BENCH_PROVIDERS_REQUESTED_USERS', 10) }, (_, i) => userName(i)));
  const requested = Object.entries(data.owners)
    .filter(([, users]) => users.some((u) => askers.has(u)))
    .map(([p]) => p);
  process.stdout.write(`${JSON.stringify({ env: up.env, requested, heavyUser: userName(0) })}\n`);
  process.on('SIGTERM', () => void up.close().then(() => process.exit(0)));
}
