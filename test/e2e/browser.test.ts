// What a person sees in a browser: the compose page at / (live through /api/1/events, and readable
// with JavaScript off) and the Temporal Web UI filtering composes by their ComposeState search
// attribute. Drives Debian's chromium (`npm test` installs it through scripts/bootstrap.mjs) with
// playwright-core. The harness's Temporal runs headless, so this file starts its own dev server
// with the UI and runs its stack against it. It also logs in through a fake OpenID Connect
// provider and opens a packager view (fake upstreams). Screenshots land in /tmp/odcs-flow-*.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { freePort } from '../../scripts/services/process-utils.js';
import { startLocalTemporal, type LocalTemporal } from '../../scripts/services/temporal.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';
import { startFakeOidc, type FakeOidc } from '../fixtures/fake-oidc.js';
import { smallFedora, startFakeUpstreams, type FakeUpstreams } from '../fixtures/upstreams.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Generous: a loaded 2-core machine runs chromium, Temporal, PostgreSQL and rpm tools at once. */
const UI_TIMEOUT = 90_000;
const TEST_TIMEOUT = 300_000;

let temporal: LocalTemporal | undefined;
let stack: Stack | undefined;
let up: FakeUpstreams | undefined;
let oidc: FakeOidc | undefined;
let tmp: string;
const contexts = new Set<BrowserContext>();

/** A fresh chromium with its own --user-data-dir (playwright passes it for a persistent context). */
async function openBrowser(opts: { javaScriptEnabled?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const userDataDir = fs.mkdtempSync(path.join(tmp, 'chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1360, height: 820 },
    javaScriptEnabled: opts.javaScriptEnabled ?? true,
    timeout: UI_TIMEOUT,
  });
  context.setDefaultTimeout(UI_TIMEOUT);
  context.setDefaultNavigationTimeout(UI_TIMEOUT);
  contexts.add(context);
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

async function closeBrowser(context: BrowserContext): Promise<void> {
  contexts.delete(context);
  await context.close().catch(() => undefined);
}

async function createCompose(body: Record<string, unknown>): Promise<any> {
  const res = await http(stack!, 'POST', '/api/1/composes/', body);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

/** Text of a row's cells by column class, as the browser shows them. */
function rowText(page: Page, id: number, cell: string): Promise<string> {
  return page.locator(`#compose-${id} td.${cell}`).innerText();
}

before(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the browser tests need Debian's chromium. Run \`npm test\` (its bootstrap installs it) or \`apt-get install chromium\`.`,
    );
  }
  tmp = testTmpDir('browser');
  const repos = path.join(tmp, 'repos');
  await buildRepo(path.join(repos, 'r'), [{ name: 'base' }, { name: 'app', requires: ['base'] }, { name: 'tool' }]);
  const [port, uiPort] = [await freePort(), await freePort()];
  temporal = await startLocalTemporal({ port, uiPort, logFile: path.join(tmp, 'temporal.log') });
  up = await startFakeUpstreams(smallFedora());
  oidc = await startFakeOidc({ clientId: 'dashboard', clientSecret: 'client-secret', audience: 'dashboard' });
  stack = await startStack({
    env: {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_UI_URL: temporal.uiUrl!,
      REPO_ROOTS: repos,
      ...up.env,
      OIDC_CLIENT_SECRET: 'client-secret',
      SECRET_KEY: 'a-secret-key-for-the-browser-test',
    },
    settings: {
      tags: { fixtures: { repos: [path.join(repos, 'r')] } },
      oidc_issuer: oidc.issuer,
      oidc_audience: 'dashboard',
      oidc_jwks_url: oidc.jwksUrl,
    },
  });
});

after(async () => {
  for (const context of [...contexts]) await closeBrowser(context);
  await stack?.stop();
  await temporal?.stop();
  await up?.close();
  await oidc?.close();
});

test('the compose page lists composes and follows them live; it reads without JavaScript', { timeout: TEST_TIMEOUT }, async () => {
  const first = await createCompose({ source: { type: 'tag', source: 'fixtures', packages: ['app'] }, seconds_to_live: 86_400 });
  await waitForState(stack!, first.id, ['done'], 120_000);

  const { context, page } = await openBrowser();
  const consoleErrors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  const res = await page.goto(`${stack!.baseUrl}/`);
  assert.equal(res?.status(), 200);
  assert.match(res?.headers()['content-type'] ?? '', /^text\/html/);
  await page.locator(`#compose-${first.id}`).waitFor();
  assert.equal(await rowText(page, first.id, 'c-state'), 'done');
  assert.equal(await rowText(page, first.id, 'c-owner'), 'unknown');
  assert.match(await rowText(page, first.id, 'c-source'), /tag\s+fixtures/i);
  assert.match(await rowText(page, first.id, 'c-expires'), /^in 2[34] h$/);
  const expiresTitle = await page.locator(`#compose-${first.id} td.c-expires time`).getAttribute('title');
  assert.match(expiresTitle ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  const firstJson = (await http(stack!, 'GET', `/api/1/composes/${first.id}`)).body;
  assert.equal(await page.locator(`#compose-${first.id} a.l-repo`).getAttribute('href'), firstJson.result_repofile);
  assert.equal(await page.locator(`#compose-${first.id} a.l-tree`).getAttribute('href'), firstJson.toplevel_url);
  assert.equal(
    await page.locator(`#compose-${first.id} a.l-wf`).getAttribute('href'),
    `${temporal!.uiUrl}/namespaces/default/workflows/compose-${first.id}`,
  );
  for (const [text, href] of [
    ['API', '/api/1/composes/'],
    ['API docs', '/api/1/'],
    ['Temporal UI', `${temporal!.uiUrl}/namespaces/default/workflows`],
  ]) {
    assert.equal(await page.locator('header nav a', { hasText: new RegExp(`^${text}$`) }).getAttribute('href'), href, text);
  }
  // The stream is open (not required for correctness: the page resumes from its render position).
  await page.locator('#live.on').waitFor();
  await page.evaluate(() => ((window as any).__notReloaded = true));

  // A new compose appears at the top and reaches done, without a reload.
  const second = await createCompose({ source: { type: 'tag', source: 'fixtures', packages: ['tool'] }, flags: ['no_reuse'] });
  await page.locator(`#compose-${second.id}`).waitFor();
  assert.equal(await page.locator('#composes tbody tr').first().getAttribute('id'), `compose-${second.id}`);
  await page.locator(`#compose-${second.id} .badge.s-done`).waitFor();
  await page.locator(`#compose-${second.id} a.l-repo`).waitFor();
  const secondJson = (await http(stack!, 'GET', `/api/1/composes/${second.id}`)).body;
  assert.equal(secondJson.state_name, 'done');
  assert.equal(await page.locator(`#compose-${second.id} a.l-repo`).getAttribute('href'), secondJson.result_repofile);
  assert.equal(await page.locator(`#compose-${second.id} a.l-tree`).getAttribute('href'), secondJson.toplevel_url);
  assert.match(await rowText(page, second.id, 'c-expires'), /^in \d+ h$/);

  // Everything is text, never markup: a failing compose whose package names look like HTML.
  const hostile = ['<img', 'src=x', 'onerror=window.__xss=1>', '"><script>window.__xss=2</script>'];
  const evil = await createCompose({ source: { type: 'tag', source: 'fixtures', packages: hostile }, flags: ['no_reuse'] });
  await page.locator(`#compose-${evil.id} .badge.s-failed`).waitFor();
  assert.equal(await page.locator(`#compose-${evil.id} .pkgs`).innerText(), hostile.join(' '));
  assert.equal(await page.locator('#composes img, #composes script').count(), 0);
  assert.equal(await page.evaluate(() => (window as any).__xss), undefined);
  assert.equal(await page.evaluate(() => (window as any).__notReloaded), true, 'the page was not reloaded');
  assert.deepEqual(
    await page.locator('#composes tbody tr').evaluateAll((rows) => rows.slice(0, 3).map((r) => r.id)),
    [`compose-${evil.id}`, `compose-${second.id}`, `compose-${first.id}`],
  );
  assert.equal(await page.locator('#count').innerText(), '3 in all');
  await page.screenshot({ path: '/tmp/odcs-flow-compose-page.png', fullPage: true });
  assert.deepEqual(consoleErrors, []);
  await closeBrowser(context);

  // JavaScript off: the same table, rendered by the server (escaped there too).
  const noJs = await openBrowser({ javaScriptEnabled: false });
  await noJs.page.goto(`${stack!.baseUrl}/`);
  for (const c of [first, second]) assert.equal(await rowText(noJs.page, c.id, 'c-state'), 'done');
  assert.equal(await rowText(noJs.page, evil.id, 'c-state'), 'failed');
  assert.equal(await noJs.page.locator(`#compose-${evil.id} .pkgs`).innerText(), hostile.join(' '));
  assert.equal(await noJs.page.locator('#composes img, #composes script').count(), 0);
  assert.equal(await noJs.page.locator(`#compose-${second.id} a.l-repo`).getAttribute('href'), secondJson.result_repofile);
  assert.match(await noJs.page.locator('#live').innerText(), /reload/i);
  await noJs.page.screenshot({ path: '/tmp/odcs-flow-compose-page-nojs.png', fullPage: true });
  await closeBrowser(noJs.context);

  const head = await fetch(`${stack!.baseUrl}/`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.match(head.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(await head.text(), '');
});

test('the Temporal Web UI filters composes by ComposeState', { timeout: TEST_TIMEOUT }, async () => {
  const done = await createCompose({ source: { type: 'tag', source: 'fixtures', packages: ['base'] }, flags: ['no_reuse'] });
  const failed = await createCompose({ source: { type: 'tag', source: 'fixtures', packages: ['no-such-package'] }, flags: ['no_reuse'] });
  await waitForState(stack!, done.id, ['done'], 120_000);
  await waitForState(stack!, failed.id, ['failed'], 120_000);

  const { page } = await openBrowser();
  const listUrl = (query: string) => `${temporal!.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`;
  /** Visibility lags a little behind the workflow: reload until the row is there. */
  async function showsWorkflow(query: string, workflowId: string): Promise<void> {
    const deadline = Date.now() + UI_TIMEOUT;
    for (;;) {
      await page.goto(listUrl(query));
      try {
        await page.getByRole('link', { name: workflowId, exact: true }).first().waitFor({ timeout: 10_000 });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`the Temporal UI did not list ${workflowId} for ${query}: ${(err as Error).message}`);
      }
    }
  }
  await showsWorkflow('ComposeState="done"', `compose-${done.id}`);
  assert.equal(await page.getByRole('link', { name: `compose-${failed.id}`, exact: true }).count(), 0, 'the failed compose is filtered out');
  await page.screenshot({ path: '/tmp/odcs-flow-temporal-ui.png' });
  await showsWorkflow('ComposeState="failed"', `compose-${failed.id}`);
  assert.equal(await page.getByRole('link', { name: `compose-${done.id}`, exact: true }).count(), 0, 'the done compose is filtered out');

  // The compose page's workflow link opens that workflow in the UI.
  await page.goto(`${stack!.baseUrl}/`);
  await page.locator(`#compose-${done.id} a.l-wf`).click();
  await page.waitForURL(new RegExp(`/namespaces/default/workflows/compose-${done.id}(/|$)`));
  await page.getByText(`compose-${done.id}`, { exact: true }).first().waitFor();
  await page.screenshot({ path: '/tmp/odcs-flow-temporal-ui-workflow.png' });
});

test('the API docs page shows every operation of the OpenAPI document, loading nothing from elsewhere', { timeout: TEST_TIMEOUT }, async () => {
  const doc = (await http(stack!, 'GET', '/api/1/openapi.json')).body;
  const operations: Array<{ tag: string; id: string }> = [];
  for (const item of Object.values<any>(doc.paths)) {
    for (const op of Object.values<any>(item)) operations.push({ tag: op.tags[0], id: op.operationId });
  }
  assert.ok(operations.length >= 20, `${operations.length} operations`);

  const { context, page } = await openBrowser();
  const origin = new URL(stack!.baseUrl).origin;
  const foreign: string[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url);
  });
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  const res = await page.goto(`${stack!.baseUrl}/api/1/`);
  assert.equal(res?.status(), 200);
  // Swagger UI renders one block per operation, with the id operations-<tag>-<operationId>.
  await page.locator('.opblock').first().waitFor();
  assert.equal(await page.locator('.opblock').count(), operations.length);
  for (const { tag, id } of operations) {
    assert.equal(await page.locator(`[id="operations-${tag.replaceAll(' ', '_')}-${id}"]`).count(), 1, `${tag} ${id}`);
  }
  assert.match(await page.locator('.info .title').innerText(), /odcs-flow/);

  // Open one operation and run it from the page: the real API answers.
  await page.locator('[id="operations-server-about"] .opblock-summary').click();
  await page.locator('[id="operations-server-about"] button.try-out__btn').click();
  await page.locator('[id="operations-server-about"] button.execute').click();
  const status = page.locator('[id="operations-server-about"] .live-responses-table tbody .response-col_status').first();
  await status.waitFor();
  assert.equal((await status.innerText()).trim(), '200');
  await page.screenshot({ path: '/tmp/odcs-flow-api-docs.png', fullPage: false });
  assert.deepEqual(foreign, [], 'requests to other hosts');
  assert.deepEqual(consoleErrors, []);
  await closeBrowser(context);
});

test('a packager view as a logged-in user', { timeout: TEST_TIMEOUT }, async () => {
  oidc!.user = { name: 'alice', groups: ['packager'] };
  const { context, page } = await openBrowser();
  const view = `${stack!.baseUrl}/packager/alice`;
  await page.goto(view);
  // The login round trip: our login, the provider, our callback, the view with ?oidc_token=, the view.
  await page.locator('#login').click();
  await page.waitForURL(view);
  assert.equal(await page.locator('#who').innerText(), 'Logged in as alice');
  const cookies = await context.cookies(stack!.baseUrl);
  const token = cookies.find((k) => k.name === 'token')?.value;
  assert.ok(token, 'the token cookie is set');
  assert.deepEqual((await http(stack!, 'GET', '/api/v1/current_user', undefined, { Cookie: `token=${token}` })).body, {
    is_authenticated: true,
    user: 'alice',
    fas_groups: ['packager'],
  });
  // The first visit queued the refreshes; the page says when everything is there.
  const deadline = Date.now() + UI_TIMEOUT;
  while ((await page.locator('#status').getAttribute('data-status')) !== '200') {
    assert.ok(Date.now() < deadline, `the view never completed: ${await page.locator('#status').innerText()}`);
    await page.waitForTimeout(500);
    await page.reload();
  }
  assert.equal(await page.locator('#pkg-foo td.p-bugs').innerText(), '3');
  assert.equal(await page.locator('#pkg-foo td.p-prs').innerText(), '2');
  assert.equal(await page.locator('#pkg-foo td.p-fti').innerText(), '2');
  assert.equal(await page.locator('#pkg-bar td.p-orphans').innerText(), 'depends on orphans');
  assert.equal(await page.locator('#who').innerText(), 'Logged in as alice');
  await page.screenshot({ path: '/tmp/odcs-flow-packager-view.png', fullPage: true });
  await page.locator('#logout').click();
  await page.waitForURL(view);
  assert.equal(await page.locator('#login').innerText(), 'Log in');
  await closeBrowser(context);
});
