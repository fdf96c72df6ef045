// /api/1/metrics/ read by a Prometheus text-format parser, as a scraper would.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

let stack: Stack;

before(async () => {
  const repos = testTmpDir('repos');
  await buildRepo(path.join(repos, 'r'), [{ name: 'm' }]);
  stack = await startStack({ env: { REPO_ROOTS: repos }, settings: { tags: { t: { repos: [path.join(repos, 'r')] } } } });
});

after(async () => {
  await stack?.stop();
});

type Family = { name: string; help: string; type: string; metrics: Array<{ labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }> };

async function scrape(): Promise<{ families: Map<string, Family>; text: string }> {
  const res = await fetch(`${stack.baseUrl}/api/1/metrics/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await res.text();
  assert.match(text, /# HELP composes_total Total number of composes/);
  const families = parsePrometheusTextFormat(text) as Family[];
  return { families: new Map(families.map((f) => [f.name, f])), text };
}

test('compose counts, per-state gauges, histograms and HTTP latency by route', async () => {
  const created = (await http(stack, 'POST', '/api/1/composes/', { source: { type: 'tag', source: 't', packages: ['m'] }, seconds_to_live: 1 })).body;
  await waitForState(stack, created.id, ['removed'], 60_000);
  await http(stack, 'GET', `/api/1/composes/${created.id}`);
  const { families: m, text } = await scrape();
  const total = m.get('composes_total')!;
  assert.equal(total.type, 'COUNTER');
  assert.ok(total.metrics.some((x) => x.labels?.source_type === 'tag' && x.labels?.state === 'removed' && Number(x.value) >= 1));
  const gauge = m.get('composes')!;
  assert.equal(gauge.type, 'GAUGE');
  assert.deepEqual(gauge.metrics.map((x) => x.labels?.state).sort(), ['done', 'failed', 'generating', 'removed', 'wait']);
  const generation = m.get('compose_generation_duration_seconds')!;
  assert.equal(generation.type, 'HISTOGRAM');
  assert.ok(Number(generation.metrics[0].count) >= 1);
  const lag = m.get('compose_expiry_lag_seconds')!;
  assert.ok(Number(lag.metrics[0].count) >= 1);
  assert.equal(m.get('compose_events_backlog')!.type, 'GAUGE');
  // Provider caches: a refreshed provider has an age; a failing key is counted.
  await stack.pool.query(
    `INSERT INTO cached_data (provider, arg, data, time_created) VALUES ('fedora_releases', '', '[]', now() - interval '90 seconds'),
       ('bodhi_updates', '', '{}', now() - interval '1 hour')`,
  );
  await stack.pool.query(
    `UPDATE cached_data SET last_error = 'HTTP 500', time_failed = now() WHERE provider = 'bodhi_updates'`,
  );
  const after = await scrape();
  const age = after.families.get('provider_refresh_age_seconds')!;
  const releasesAge = Number(age.metrics.find((x) => x.labels?.provider === 'fedora_releases')?.value);
  assert.ok(releasesAge >= 90 && releasesAge < 3600, String(releasesAge));
  const failing = after.families.get('provider_refresh_failing')!;
  assert.deepEqual(failing.metrics.map((x) => [x.labels?.provider, x.value]), [['bodhi_updates', '1']]);
  assert.ok(after.families.get('cached_data_rows')!.metrics.length >= 2);
  assert.equal(m.get('http_request_duration_seconds')!.type, 'HISTOGRAM');
  // This parser drops the labels of labelled histograms, so read the route labels off the samples.
  const routes = new Set([...text.matchAll(/^http_request_duration_seconds_count\{[^}]*route="([^"]*)"/gm)].map((x) => x[1]));
  assert.ok(routes.has('/api/1/composes/:id'), [...routes].join(', '));
  assert.ok(![...routes].some((r) => r?.includes(String(created.id))), `routes are patterns, never raw paths: ${[...routes].join(', ')}`);
});
