// Fedora's own Python client, unmodified, against odcs-flow: the `odcs` package from PyPI (its
// library class odcs.client.odcs.ODCS and its `odcs` CLI) drives a whole stack over HTTP.
//
// The client is installed once per machine by test/harness/odcs-venv.ts (the `client` virtualenv).
// PyPI must be reachable the first time: if the virtualenv cannot be made, this test FAILS, it does
// not skip.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { ensureOdcsVenv, ODCS_VERSION } from '../harness/odcs-venv.js';
import { http, startStack, testTmpDir, waitForState, type Stack } from '../harness/stack.js';

const REQUIREMENT = `odcs[client]==${ODCS_VERSION}`;
let VENV_PYTHON = '';
/** Run through the venv's python: the script's shebang names the build directory it was made in. */
let ODCS_SCRIPT = '';

// ---------------------------------------------------------------------------------------------
// Running Python without blocking this process (the API under test lives in it).

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let home: string;

function clientEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' };
  for (const k of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'TRACEPARENT', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'PYTHONPATH', 'VIRTUAL_ENV']) delete env[k];
  return env;
}

function runPython(args: string[], timeoutMs = 180_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(VENV_PYTHON, args, { env: clientEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The `odcs` CLI as installed by pip. */
const cli = (...args: string[]) => runPython([ODCS_SCRIPT, ...args]);

/** The CLI prints json.dumps(result, indent=4) last, after any progress lines. */
function lastJson(out: string): any {
  const start = out.search(/^[{[]/m);
  assert.ok(start >= 0, `no JSON in the output:\n${out}`);
  return JSON.parse(out.slice(start));
}

const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

// ---------------------------------------------------------------------------------------------

let stack: Stack;
let serverUrl: string; // as a user writes it: no trailing slash
let cliServer: string; // the CLI goes anonymous only for a URL containing "localhost"
let work: string;

let installError: Error | null = null;
/** Each test fails (never skips) without the client: the install test says why. */
const requireClient = () => {
  if (installError) throw new Error(`Fedora's odcs client is not installed: ${installError.message.split('\n')[0]}`);
};

before(async () => {
  try {
    const venv = ensureOdcsVenv('client');
    VENV_PYTHON = venv.python;
    ODCS_SCRIPT = venv.bin('odcs');
  } catch (err) {
    installError = err as Error;
    return;
  }
  work = testTmpDir('python-client');
  home = path.join(work, 'home');
  fs.mkdirSync(home);
  const repos = path.join(work, 'repos');
  await buildRepo(path.join(repos, 'pyc'), [
    { name: 'pyc-app', version: '1.0', requires: ['pyc-lib'] },
    { name: 'pyc-lib', version: '2.1', arch: 'x86_64' },
    { name: 'pyc-other', version: '0.3' },
  ]);
  stack = await startStack({ env: { REPO_ROOTS: repos }, settings: { tags: { pyc: { repos: [path.join(repos, 'pyc')] } } } });
  serverUrl = stack.baseUrl;
  cliServer = `http://localhost:${new URL(stack.baseUrl).port}/`;
});

after(async () => {
  await stack?.stop();
});

const LIBRARY_SCRIPT = String.raw`
import json, sys, time, urllib.request
import requests
from odcs.client.odcs import ODCS, AuthMech, ComposeSourceTag

url = sys.argv[1]
out = {}
odcs = ODCS(url, auth_mech=AuthMech.Anonymous)
slashed = ODCS(url + "/", auth_mech=AuthMech.Anonymous)
out["endpoint"] = odcs._make_endpoint("composes/")
out["about"] = odcs.about()
out["about_slashed"] = slashed.about()

c = odcs.new_compose("pyc", "tag", packages=["pyc-app"], seconds_to_live=3600)
out["created"] = c
out["waited"] = odcs.wait_for_compose(c["id"], timeout=120)
out["got"] = slashed.get_compose(c["id"])
out["found"] = odcs.find_composes(owner="unknown")
out["found_done"] = odcs.find_composes(owner="unknown", state="done", source="pyc", page=1, per_page=5, order_by="-id")
with urllib.request.urlopen(out["waited"]["result_repofile"]) as r:
    out["repofile_status"] = r.status
    out["repofile"] = r.read().decode()

out["renewed"] = odcs.renew_compose(c["id"], seconds_to_live=7200)
out["renewed_no_body"] = odcs.renew_compose(c["id"])

src = ComposeSourceTag("pyc", packages=["pyc-other"])
c2 = odcs.request_compose(src, flags=["no_deps"], arches=["x86_64"], label="RC-1.0")
out["requested"] = odcs.wait_for_compose(c2["id"], timeout=120)
# watch_logs tails <toplevel_url>/pungi-stderr.log with Range requests.
out["watched"] = odcs.wait_for_compose(c2["id"], timeout=120, watch_logs=True)

try:
    odcs.get_compose(999999)
    out["missing"] = None
except requests.exceptions.HTTPError as e:
    out["missing"] = [e.response.status_code, e.response.json()]
try:
    odcs.new_compose("pyc", "tag", packages=["pyc-app"], flags=["no_such_flag"])
    out["bad_flag"] = None
except requests.exceptions.HTTPError as e:
    out["bad_flag"] = [e.response.status_code, e.response.json()]

out["deleted"] = odcs.delete_compose(c["id"])
deadline = time.time() + 60
while True:
    gone = odcs.get_compose(c["id"])
    if gone["state_name"] == "removed" or time.time() > deadline:
        break
    time.sleep(0.5)
out["removed"] = gone
copy = odcs.renew_compose(c["id"], seconds_to_live=600)
out["renewed_removed"] = copy
out["renewed_removed_done"] = odcs.wait_for_compose(copy["id"], timeout=120)
print("RESULT:" + json.dumps(out))
`;

describe(`Fedora's Python client (odcs ${ODCS_VERSION}) against odcs-flow`, () => {
  test(`${REQUIREMENT} is installed`, () => {
    if (installError) throw installError;
    assert.ok(fs.existsSync(ODCS_SCRIPT));
  });

  test('the library: new_compose, wait_for_compose, get, find, renew, request_compose, delete, about', async () => {
    requireClient();
    const script = path.join(work, 'library.py');
    fs.writeFileSync(script, LIBRARY_SCRIPT);
    const run = await runPython([script, serverUrl]);
    assert.equal(run.code, 0, show(run));
    const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT:'));
    assert.ok(line, show(run));
    const out = JSON.parse(line.slice('RESULT:'.length));

    // urljoin(server_url, "api/1/...") with a server URL without a path: no trailing slash needed.
    assert.equal(out.endpoint, `${serverUrl}/api/1/composes/`);
    for (const about of [out.about, out.about_slashed]) {
      assert.equal(about.auth_backend, 'noauth');
      assert.deepEqual(Object.keys(about).sort(), ['allowed_clients', 'auth_backend', 'raw_config_urls', 'sigkeys', 'version']);
    }

    const id = out.created.id;
    assert.equal(typeof id, 'number');
    assert.equal(out.created.state_name, 'wait');
    assert.equal(out.created.owner, 'unknown');
    assert.equal(out.created.source, 'pyc');
    assert.equal(out.created.source_type, 1);
    assert.equal(out.created.packages, 'pyc-app');
    assert.equal(out.waited.state_name, 'done', out.waited.state_reason);
    assert.equal(out.waited.state_reason, 'Compose is generated successfully');
    assert.equal(out.got.id, id);
    assert.ok('pungi_config_dump' in out.got, 'a single GET includes pungi_config_dump');
    assert.match(out.waited.result_repofile, new RegExp(`/composes/odcs-${id}/compose/Temporary/odcs-${id}\\.repo$`));
    assert.equal(out.repofile_status, 200);
    assert.match(out.repofile, new RegExp(`^\\[odcs-${id}\\]\\nname=ODCS repository for compose odcs-${id}\\nbaseurl=${out.waited.result_repo}/\\$basearch/os\\n`));

    assert.ok(out.found.items.some((c: any) => c.id === id));
    assert.ok(out.found.items.every((c: any) => c.owner === 'unknown' && !('pungi_config_dump' in c)));
    assert.equal(typeof out.found.meta.total, 'number');
    assert.deepEqual(out.found_done.items.map((c: any) => c.id), [id]);
    assert.equal(out.found_done.meta.per_page, 5);
    assert.equal(out.found_done.meta.page, 1);

    // Renewing a done compose extends it: the same compose, living at least as long.
    assert.equal(out.renewed.id, id);
    assert.ok(Date.parse(out.renewed.time_to_expire) >= Date.parse(out.waited.time_to_expire));
    assert.equal(out.renewed_no_body.id, id);

    assert.equal(out.requested.state_name, 'done', out.requested.state_reason);
    assert.deepEqual(out.requested.flags, ['no_deps']);
    assert.equal(out.requested.label, 'RC-1.0');
    assert.equal(out.requested.packages, 'pyc-other');
    assert.equal(out.watched.id, out.requested.id);

    assert.deepEqual(out.missing, [404, { status: 404, error: 'Not Found', message: 'No such compose found.' }]);
    assert.deepEqual(out.bad_flag, [400, { status: 400, error: 'Bad Request', message: "('Unknown flag %s', 'no_such_flag')" }]);

    assert.deepEqual(out.deleted, {
      status: 202,
      message: `The delete request for compose (id=${id}) has been accepted and will be processed by backend later.`,
    });
    assert.equal(out.removed.state_name, 'removed', JSON.stringify(out.removed));
    assert.equal(out.removed.removed_by, 'unknown');
    assert.match(out.removed.state_reason, /Removed by unknown\.$/);
    // Renewing a removed compose makes a copy that is generated again.
    assert.notEqual(out.renewed_removed.id, id);
    assert.equal(out.renewed_removed.source, 'pyc');
    assert.equal(out.renewed_removed.packages, 'pyc-app');
    assert.equal(out.renewed_removed_done.state_name, 'done', out.renewed_removed_done.state_reason);
  });

  test('the odcs CLI: about, create-tag, --no-wait, wait, get, renew, delete and its failures', async () => {
    requireClient();
    const about = await cli('--server', cliServer, 'about');
    assert.equal(about.code, 0, show(about));
    assert.equal(lastJson(about.stdout).auth_backend, 'noauth');

    // create-tag waits for the compose by default and prints it.
    const created = await cli('--server', cliServer, 'create-tag', 'pyc', 'pyc-app', 'pyc-other');
    assert.equal(created.code, 0, show(created));
    const done = lastJson(created.stdout);
    assert.equal(done.state_name, 'done', done.state_reason);
    assert.equal(done.source, 'pyc');
    assert.deepEqual(done.packages.split(' ').sort(), ['pyc-app', 'pyc-other']);
    const repofile = await fetch(done.result_repofile);
    assert.equal(repofile.status, 200);
    assert.match(await repofile.text(), new RegExp(`^\\[odcs-${done.id}\\]`));

    const queued = await cli('--server', cliServer, '--no-wait', 'create-tag', 'pyc', 'pyc-lib', '--flag', 'no_deps', '--arch', 'x86_64');
    assert.equal(queued.code, 0, show(queued));
    const q = lastJson(queued.stdout);
    assert.ok(['wait', 'generating', 'done'].includes(q.state_name), q.state_name);
    assert.deepEqual(q.flags, ['no_deps']);
    const waited = await cli('--server', cliServer, 'wait', String(q.id));
    assert.equal(waited.code, 0, show(waited));
    assert.equal(lastJson(waited.stdout).state_name, 'done');

    const got = await cli('--server', cliServer, 'get', String(q.id));
    assert.equal(got.code, 0, show(got));
    assert.equal(lastJson(got.stdout).id, q.id);

    // The CLI sends --seconds-to-live as a string ("7200"): ODCS int()s it.
    const renewed = await cli('--server', cliServer, 'renew', String(q.id), '--seconds-to-live', '7200');
    assert.equal(renewed.code, 0, show(renewed));
    const r = lastJson(renewed.stdout);
    assert.equal(r.id, q.id);
    assert.ok(Date.parse(r.time_to_expire) - Date.now() > 7000 * 1000, r.time_to_expire);

    const deleted = await cli('--server', cliServer, 'delete', String(q.id));
    assert.equal(deleted.code, 0, show(deleted));
    assert.deepEqual(lastJson(deleted.stdout), {
      status: 202,
      message: `The delete request for compose (id=${q.id}) has been accepted and will be processed by backend later.`,
    });
    await waitForState(stack, q.id, ['removed']);

    // A compose that fails: the CLI prints it and exits 1.
    const failing = await cli('--server', cliServer, 'create-tag', 'pyc', 'pyc-app', 'no-such-package');
    assert.equal(failing.code, 1, show(failing));
    const f = lastJson(failing.stdout);
    assert.equal(f.state_name, 'failed');
    assert.match(f.state_reason, /The following requested packages are not present in the generated compose: no-such-package\./);

    // An HTTP error: the client prints the error body and exits -1 (255).
    const missing = await cli('--server', cliServer, 'get', '999999');
    assert.equal(missing.code, 255, show(missing));
    assert.deepEqual(lastJson(missing.stdout), { status: 404, error: 'Not Found', message: 'No such compose found.' });
    const badFlag = await cli('--server', cliServer, 'create-tag', 'pyc', 'pyc-app', '--flag', 'bogus');
    assert.equal(badFlag.code, 255, show(badFlag));
    assert.equal(lastJson(badFlag.stdout).message, "('Unknown flag %s', 'bogus')");

    // What the CLI did is what the server holds.
    const list = await http(stack, 'GET', '/api/1/composes/?source=pyc&per_page=100');
    assert.ok(list.body.items.some((c: any) => c.id === done.id && c.state_name === 'done'));
  });
});
