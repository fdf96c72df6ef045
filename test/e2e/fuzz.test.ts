// A bounded, seeded fuzz of the HTTP API against a whole stack. Whatever arrives, the server never
// answers 5xx, every 4xx is ODCS's JSON error body {status, error, message} with the same status,
// nothing outside the compose root is ever served, and every compose created along the way ends
// in done/failed/removed. The seed is printed; rerun one with FUZZ_SEED=<n> (FUZZ_SEED=random for
// a fresh one), and FUZZ_REQUESTS=<n> to change the count. FUZZ_LOG=<file> writes every problem
// found to a file, FUZZ_TIMING=1 prints the time spent per kind of request.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildRepo } from '../../scripts/rpm-fixtures.js';
import { startStack, testTmpDir, type Stack } from '../harness/stack.js';

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

const DEFAULT_SEED = 0x0dc5f10;
const SEED =
  process.env.FUZZ_SEED === 'random'
    ? Math.floor(Math.random() * 2 ** 32)
    : process.env.FUZZ_SEED
      ? Number(process.env.FUZZ_SEED) >>> 0
      : DEFAULT_SEED;
// A fixed count (not a time budget), so that every machine sends the same seeded requests.
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 600);
const BODY_LIMIT = 4096;

/** mulberry32: small, fast, and the same sequence on every machine. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

// ---------------------------------------------------------------------------------------------
// Garbage

const TOP_KEYS = [
  'seconds_to_live', 'seconds-to-live', 'flags', 'results', 'arches', 'multilib_arches', 'multilib_method',
  'lookaside_repos', 'parent_pungi_compose_ids', 'label', 'compose_type', 'target_dir', 'respin_of', 'source',
  'sigkeys', 'packages', 'koji_event', 'builds', 'modules', 'no_such_key', '', '__proto__', 'constructor',
] as const;
const SOURCE_KEYS = [
  'type', 'source', 'packages', 'builds', 'sigkeys', 'modular_koji_tags', 'scratch_modules', 'scratch_build_tasks',
  'modules', 'koji_event', 'module_defaults_url', 'module_defaults_commit', 'base_module_br_name',
  'base_module_br_stream', 'base_module_br_stream_version_lte', 'base_module_br_stream_version_gte', 'unknown_key',
  '__proto__', 'toString',
] as const;

const WORDS = [
  '', ' ', 'x86_64', 'aarch64', 'sparc', 's390x', 'tag', 'module', 'repo', 'pulp', 'raw_config', 'build',
  'pungi_compose', 'floppy', 'TAG', 'no_deps', 'no_inheritance', 'check_deps', 'no_reuse', 'no_label', 'no_flags',
  'bogus_flag', 'repository', 'iso', 'ostree', 'boot.iso', 'floppy.img', 'runtime', 'devel', 'all', 'none',
  'default', 'releng-private', 'test', 'nightly', 'production', 'fz', 'fz-app', 'fz-lib', 'platform:f30',
  'testmodule:master', 'a#b', '#', 'constructor', '__proto__', 'hasOwnProperty', 'toString', '/etc', '/',
  '../../etc/passwd', 'file:///etc', 'http://127.0.0.1:1/repo', 'null', 'None', 'true', '600s', '1e3', '-5',
  ' 12 ', '0x10', '٣', '１２', 'NaN', 'Infinity',
];
const NUMBERS = [
  0, 1, -1, 2, 42, 600, -600, 86400, 259200, 259201, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32,
  2 ** 53 - 1, 2 ** 53 + 2, -(2 ** 53), 2 ** 63, -(2 ** 63), 2 ** 64, 1e20, -1e20, 1e300, -1e300, Number.MAX_VALUE,
  -Number.MAX_VALUE, -0,
];
const FLOATS = [0.5, -0.5, 1.5, 1e-300, -1e-300, 3.141592653589793, 86400.9, -2.5, 5e-324];
const UNICODE = [
  'é', 'ß', 'ǅ', 'あいう', '中文', 'ﬁ', 'Ⅻ', '٣', '𝐀𝐁', '😀', '👩‍👩‍👧', '\u202e', '\u200b', '\ufeff', 'e\u0301',
  '\ud800', '\udfff', '\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\u2028', '\n', '\r\n', '\t', '\\', '"',
  "'", '<script>', '%00', '%2e%2e', '${x}', '`id`', '$(id)', ';', '|', '&', '*', '?', '~', '^', '#', '+',
];

function randomString(r: Rng): string {
  switch (r.int(8)) {
    case 0:
      return r.pick(WORDS);
    case 1:
      return r.pick(UNICODE).repeat(1 + r.int(3));
    case 2: {
      let s = '';
      const n = r.int(40);
      for (let i = 0; i < n; i++) s += r.bool(0.7) ? String.fromCharCode(32 + r.int(95)) : r.pick(UNICODE);
      return s;
    }
    case 3:
      return 'a'.repeat(r.pick([256, 1000, 1400, 3000]));
    case 4:
      return 'あ'.repeat(r.pick([300, 700, 1100])); // 3 UTF-8 bytes each
    case 5:
      return `${r.pick(WORDS)}\u0000${r.pick(WORDS)}`;
    case 6:
      return r.pick(WORDS) + ' ' + r.pick(WORDS) + ' ' + r.pick(WORDS);
    default:
      return String.fromCharCode(r.int(0x10000)).repeat(1 + r.int(5));
  }
}

function randomValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 2 ? 7 : 10)) {
    case 0:
      return null;
    case 1:
      return r.bool();
    case 2:
      return r.pick(NUMBERS);
    case 3:
      return r.pick(FLOATS);
    case 4:
    case 5:
      return randomString(r);
    case 6:
      return [r.pick(WORDS), r.pick(WORDS)].slice(0, r.int(3));
    case 7:
      return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    case 8: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(4); i > 0; i--) o[r.bool() ? r.pick(SOURCE_KEYS) : randomString(r).slice(0, 20)] = randomValue(r, depth + 1);
      return o;
    }
    default:
      return [[[[r.pick(WORDS)]]]];
  }
}

const PACKAGE_SETS = [['fz-app'], ['fz-lib'], ['fz-data', 'fz-tool'], ['fz-lonely'], []];

/** A request that should be accepted: a small tag compose, TTL sometimes negative (ODCS allows that). */
function validBody(r: Rng): Record<string, unknown> {
  const body: Record<string, unknown> = { source: { type: 'tag', source: 'fz', packages: r.pick(PACKAGE_SETS) } };
  const ttl = r.pick([undefined, 60, 3600, -30, 0, 259201]);
  if (ttl !== undefined) body[r.bool() ? 'seconds_to_live' : 'seconds-to-live'] = ttl;
  if (r.bool(0.3)) body.flags = [r.pick(['no_deps', 'check_deps', 'no_reuse', 'no_inheritance'])];
  if (r.bool(0.2)) body.label = r.pick(['fz-label', 'RC-1.0']);
  return body;
}

/** A POST body (object or raw text/bytes) built from a valid one by random damage. */
function fuzzedPostBody(r: Rng): unknown {
  const base = validBody(r);
  switch (r.int(12)) {
    case 0: // truncated JSON
    {
      const text = JSON.stringify(base);
      return { raw: text.slice(0, r.int(text.length)) };
    }
    case 1: // top level not an object
      return { raw: JSON.stringify(r.pick<unknown>([[], [base], 'abc', 123, -1, null, true, false, 1e400, [1, 2, 3], '', {}])) };
    case 2: // not JSON at all
      return {
        raw: r.pick([
          '{', '}', '{"source": {"type": "tag", "source": "fz",}}', "{'source': 1}", 'NaN', 'Infinity',
          '{"source": NaN}', '\ufeff{"source":{"type":"tag","source":"fz"}}', '{"a":1}//', '/* c */{}', '\u0000',
          '{"source":{"type":"tag","source":"fz"}}{"x":1}', '{"source":{"type":"tag","source":"fz"}} trailing',
          'source=fz&type=tag', '<xml/>', '   ', '\n', '"\\ud800"', '{"\\u0000":1}', '{"source":"\\u0000"}',
        ]),
      };
    case 3: // invalid UTF-8 bytes
      return { bytes: Buffer.concat([Buffer.from('{"source":{"type":"tag","source":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80]), Buffer.from('"}}')]) };
    case 4: // deep nesting
    {
      const depth = r.pick([50, 500, 1900]);
      return { raw: `{"source":${'['.repeat(depth)}${']'.repeat(depth)}}` };
    }
    case 5: // source replaced
      base.source = randomValue(r);
      return base;
    default: {
      // wrong types at keys of the body and of source
      const src = (base.source as Record<string, unknown>) ?? {};
      for (let i = 1 + r.int(3); i > 0; i--) {
        if (r.bool()) base[r.pick(TOP_KEYS)] = randomValue(r);
        else src[r.pick(SOURCE_KEYS)] = randomValue(r);
      }
      if (r.bool(0.15)) delete src.type;
      if (r.bool(0.1)) delete base.source;
      return base;
    }
  }
}

const GARBAGE_IDS = [
  'abc', '-1', '0', '1e3', '1.0', '+1', ' 1', '1 ', '0x1', '99999999999999999999', '999999999999999', '9007199254740993',
  '%00', '..%2f', '..', '.', '%2e%2e', '%2e%2e%2fabout', '1%00', '1;2', '1,2', '%20', '٣', '%D9%A3', '%ff', '%', '%zz',
  'NaN', 'Infinity', 'null', 'undefined', '__proto__', 'constructor', '1/extra', '1/', '1//', 'a'.repeat(3000),
  '%F0%9F%98%80', '\u00e9', "1'--", '1%27%20OR%201=1',
];

/** Percent-encodes (as UTF-8) what node:http refuses in a request path; everything else goes raw. */
function enc(s: string): string {
  return s.replace(/[\u0000-\u0020\u007f-\uffff]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

const LIST_KEYS = ['owner', 'source_type', 'source', 'state', 'koji_task_id', 'pungi_compose_id', 'compose_type', 'label', 'order_by', 'page', 'per_page'];
const LIST_VALUES = [
  '', 'unknown', 'me', '0', '1', '2', '4', '5', '-1', '99999', '70000', '2147483648', '9223372036854775808',
  '99999999999999999999', '1e3', '1.5', 'abc', 'tag', 'TAG', 'done', 'wait', 'removed', 'Done', 'id', '-id', '--id',
  '-', 'source_Type', 'source_type', 'time_done', '-time_removed', 'foo', 'id;DROP TABLE composes', "' OR 1=1 --",
  '%00', '%2500', 'a%00b', '%ff', '%zz', '%', '+', '%2B', '٣', '%D9%A3', 'constructor', '__proto__', 'hasOwnProperty',
  'a'.repeat(2000), ' 1 ', '+2', '0x10', 'null', 'true', '%F0%9F%98%80', '%E2%80%AE',
];

function listQuery(r: Rng): string {
  const parts: string[] = [];
  for (let i = r.int(5); i >= 0; i--) {
    const key = r.bool(0.9) ? r.pick(LIST_KEYS) : r.pick(['x', '_', '_foo', 'endpoint', '%00', 'page[]', 'a'.repeat(100)]);
    const value = r.pick(LIST_VALUES);
    parts.push(`${key}=${/%/.test(value) ? value : encodeURIComponent(value)}`);
    if (r.bool(0.15)) parts.push(`${key}=${encodeURIComponent(r.pick(LIST_VALUES))}`); // repeated
  }
  if (r.bool(0.05)) parts.push('page', '&&', '=', 'per_page');
  return parts.join('&');
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP: fetch() normalizes `..` and `%2e%2e` away, so the paths are sent exactly as written.

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: unknown;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function raw(
  base: URL,
  method: string,
  urlPath: string,
  body?: string | Buffer,
  opts: { chunked?: boolean; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (body !== undefined && !opts.chunked) headers['content-length'] = String(Buffer.byteLength(body));
    const req = http.request(
      { host: base.hostname, port: base.port, method, path: urlPath, headers, agent, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = undefined;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${urlPath}`)));
    req.on('error', reject);
    if (body !== undefined) {
      if (opts.chunked) {
        // Several writes without a length: the server sees a chunked body of unknown size.
        const buf = Buffer.from(body);
        for (let i = 0; i < buf.length; i += 1024) req.write(buf.subarray(i, i + 1024));
      } else req.write(body);
    }
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------

let stack: Stack;
let base: URL;
let outsideDir: string;
const SECRET = `odcs-fuzz-secret-${SEED}-outside-the-compose-root`;

before(async () => {
  const repos = testTmpDir('fuzz-repos');
  await buildRepo(path.join(repos, 'fz'), [
    { name: 'fz-app', requires: ['fz-lib'] },
    { name: 'fz-lib', arch: 'x86_64', requires: ['fz-data'] },
    { name: 'fz-data' },
    { name: 'fz-tool', files: ['/usr/bin/fz-tool'] },
    { name: 'fz-lonely' },
  ]);
  stack = await startStack({
    env: { REPO_ROOTS: repos, BODY_LIMIT: String(BODY_LIMIT) },
    settings: { tags: { fz: { repos: [path.join(repos, 'fz')] } } },
  });
  base = new URL(stack.baseUrl);
  fs.symlinkSync('/etc', path.join(repos, 'outside-link'));
  // Things outside the compose root that no /composes/ URL may ever reach.
  const composeRoot = stack.config.composeRoot;
  outsideDir = path.join(stack.dataDir, 'outside');
  fs.mkdirSync(outsideDir, { recursive: true });
  fs.mkdirSync(composeRoot, { recursive: true });
  fs.writeFileSync(path.join(outsideDir, 'secret.txt'), SECRET);
  fs.symlinkSync(outsideDir, path.join(composeRoot, 'escape'));
  fs.symlinkSync(path.join(outsideDir, 'secret.txt'), path.join(composeRoot, 'secret-link.txt'));
  fs.symlinkSync('../outside/secret.txt', path.join(composeRoot, 'relative-link.txt'));
  fs.symlinkSync('/etc', path.join(composeRoot, 'etc'));
  fs.mkdirSync(path.join(composeRoot, 'odcs-fuzz', 'inner'), { recursive: true });
  fs.writeFileSync(path.join(composeRoot, 'odcs-fuzz', 'inner', 'ok.txt'), 'inside');
  fs.symlinkSync(path.join(outsideDir, 'secret.txt'), path.join(composeRoot, 'odcs-fuzz', 'inner', 'deep-link.txt'));
});

after(async () => {
  agent.destroy();
  await stack?.stop();
});

const ESCAPES = [
  '/composes/escape/secret.txt', '/composes/escape/', '/composes/escape', '/composes/secret-link.txt',
  '/composes/relative-link.txt', '/composes/etc/passwd', '/composes/etc/', '/composes/odcs-fuzz/inner/deep-link.txt',
  '/composes/../outside/secret.txt', '/composes/../../../../etc/passwd', '/composes/%2e%2e/outside/secret.txt',
  '/composes/%2E%2E/outside/secret.txt', '/composes/.%2e/outside/secret.txt', '/composes/%2e./outside/secret.txt',
  '/composes/..%2foutside%2fsecret.txt', '/composes/..%2Foutside%2Fsecret.txt', '/composes/%2e%2e%2foutside%2fsecret.txt',
  '/composes/%252e%252e/outside/secret.txt', '/composes/%252e%252e%252foutside%252fsecret.txt',
  // (A raw backslash is refused by node's HTTP parser before the app sees it: only encoded here.)
  '/composes/..%5coutside%5csecret.txt', '/composes/..%5C..%5C..%5Cetc%5Cpasswd', '/composes//../outside/secret.txt',
  '/composes/odcs-fuzz/../../outside/secret.txt', '/composes/odcs-fuzz/inner/%2e%2e/%2e%2e/%2e%2e/outside/secret.txt',
  '/composes/%c0%ae%c0%ae/outside/secret.txt', '/composes/%uff0e%uff0e/outside/secret.txt',
  '/composes/．．/outside/secret.txt'.replace(/．/g, '%EF%BC%8E'), '/composes/%00/../outside/secret.txt',
  '/composes/secret-link.txt%00', '/composes/odcs-fuzz/inner/ok.txt%00.repo', '/composes/./escape/secret.txt',
  '/composes/odcs-fuzz/inner/./../../escape/secret.txt', '/composes/.outside', '/composes/%2fetc%2fpasswd',
  '/composes//etc/passwd', '/composes/%2F%2Fetc/passwd', '/composes/file:%2F%2F%2Fetc%2Fpasswd', '/composes/..;/outside/secret.txt',
];
const INSIDE_OK = ['/composes/odcs-fuzz/inner/ok.txt', '/composes/odcs-fuzz/inner/', '/composes/'];

type Check = (res: RawResponse) => string | null;

/** Bodies sent every run, whatever the seed: the edges most likely to reach the database or Temporal. */
function targetedBodies(repoRoot: string): unknown[] {
  const tag = (extra: Record<string, unknown> = {}, source: Record<string, unknown> = {}) => ({
    source: { type: 'tag', source: 'fz', packages: ['fz-lonely'], ...source },
    ...extra,
  });
  const bodies: unknown[] = [];
  for (const ttl of [-1e20, 1e20, -(2 ** 31), -(2 ** 31) - 1, 2 ** 31, 1e308, -1e308, -0.5, 0.5, '600s', '-5', ' 12 ', '1e3', '99999999999999999999', '-99999999999999999999', true, false, [], {}, null, 'abc']) {
    bodies.push(tag({ seconds_to_live: ttl }), tag({ 'seconds-to-live': ttl }));
  }
  for (const n of [1e20, -1e20, 2 ** 63, -(2 ** 63), 2 ** 53 + 1, 2 ** 62, 1.5, -1, 0]) {
    bodies.push(tag({}, { koji_event: n }), tag({}, { base_module_br_stream_version_lte: n, base_module_br_stream_version_gte: n }));
  }
  for (const pkg of ['a\u0000b', '\u0000', '\ud800', '\udfff x', 'x'.repeat(3500), 'あ'.repeat(1100), '😀', ' ', '', '../../etc/passwd', '-rf', '$(id)']) {
    bodies.push(tag({}, { packages: [pkg] }));
  }
  for (const source of ['あ'.repeat(1300), '𝐀'.repeat(900), 'é'.repeat(2000), 'a'.repeat(4000), 'fz '.repeat(1300), 'fz\tfz', 'fz\u0000']) {
    bodies.push({ source: { type: 'tag', source } }, { source: { type: 'build', source: '', builds: [source] } });
  }
  for (const label of ['あ'.repeat(1300), 'a'.repeat(3900), '']) bodies.push(tag({ label }));
  for (const type of ['module', 'raw_config', 'pulp', 'pungi_compose', 'build', 'repo', 'nope', 'TAG', 'constructor', '__proto__']) {
    bodies.push({ source: { type, source: type === 'module' ? 'a:b' : type === 'raw_config' ? 'a#b' : 'fz' } });
  }
  for (const repo of [repoRoot, `${repoRoot}/fz`, `${repoRoot}/nope`, `${repoRoot}/../..`, `${repoRoot}/outside-link`, 'relative/path', '/', '/etc', `${repoRoot}/fz ${repoRoot}/fz`]) {
    bodies.push({ source: { type: 'repo', source: repo } });
  }
  bodies.push(
    tag({ lookaside_repos: ['/etc'] }),
    tag({ lookaside_repos: [`${repoRoot}/fz`] }),
    tag({ arches: ['sparc'] }),
    tag({ arches: [] }),
    tag({ arches: ['x86_64', 'x86_64'] }),
    tag({ flags: ['no_flags'] }),
    tag({ flags: ['bogus'] }),
    tag({ results: ['boot.iso', 'iso', 'ostree'] }),
    tag({ results: ['constructor'] }),
    tag({ multilib_method: ['runtime', 'devel', 'all', 'none'] }),
    tag({ multilib_method: ['toString'] }),
    tag({ target_dir: 'constructor' }),
    tag({ target_dir: 'default' }),
    tag({ compose_type: 'production' }),
    tag({ respin_of: 'x'.repeat(3000) }),
    tag({ parent_pungi_compose_ids: ['a', 'b'] }),
    tag({}, { module_defaults_url: 'http://x', module_defaults_commit: 'abc' }),
    tag({}, { module_defaults_url: 'http://x' }),
    tag({}, { sigkeys: ['', 'ABC'] }),
    tag({}, { __proto__: { type: 'module' } } as Record<string, unknown>),
    JSON.parse('{"__proto__": {"source": {"type": "tag", "source": "fz"}}}'),
    JSON.parse('{"source": {"type": "tag", "source": "fz", "__proto__": {"packages": ["x"]}}}'),
  );
  return bodies;
}

describe(`API fuzz (seed ${SEED})`, () => {
  test(`${REQUESTS} random requests: no 5xx, ODCS error bodies, no escape, no half-written compose`, async () => {
    process.stderr.write(`[fuzz] seed ${SEED} (rerun with FUZZ_SEED=${SEED}), ${REQUESTS} requests\n`);
    const r = new Rng(SEED);
    const created: number[] = [];
    const problems: string[] = [];
    const tally = new Map<number, number>();
    const timing = new Map<string, [number, number, number]>(); // what -> [count, total ms, max ms]
    const started = Date.now();

    /** The common contract: never 5xx; every 4xx/405/413 is ODCS's error body with the same status. */
    const errorBodyProblem = (res: RawResponse, method: string): string | null => {
      if (res.status >= 500 || res.status === 0) return `server error ${res.status}: ${res.text.slice(0, 300)}`;
      if (res.status >= 400 && method !== 'HEAD') {
        const b = res.body as Record<string, unknown> | undefined;
        if (!b || typeof b !== 'object' || Array.isArray(b)) return `${res.status} without a JSON error body: ${res.text.slice(0, 200)}`;
        if (b.status !== res.status) return `error body status ${String(b.status)} != HTTP ${res.status}`;
        if (typeof b.error !== 'string' || !b.error) return `error body without "error": ${res.text.slice(0, 200)}`;
        if (typeof b.message !== 'string') return `error body without "message": ${res.text.slice(0, 200)}`;
        if (!/^application\/json/.test(String(res.headers['content-type']))) return `error with content-type ${res.headers['content-type']}`;
      }
      return null;
    };

    async function send(
      what: string,
      method: string,
      urlPath: string,
      body?: string | Buffer,
      extra: { allowed?: number[]; check?: Check; chunked?: boolean; headers?: Record<string, string> } = {},
    ): Promise<RawResponse | null> {
      let res: RawResponse;
      const t0 = Date.now();
      try {
        res = await raw(base, method, urlPath, body, { chunked: extra.chunked, headers: extra.headers });
        const t = timing.get(what) ?? [0, 0, 0];
        timing.set(what, [t[0] + 1, t[1] + Date.now() - t0, Math.max(t[2], Date.now() - t0)]);
      } catch (err) {
        problems.push(`${what}: ${method} ${urlPath.slice(0, 120)}: transport error ${(err as Error).message}`);
        return null;
      }
      tally.set(res.status, (tally.get(res.status) ?? 0) + 1);
      const bodyText = body === undefined ? '' : ` body=${JSON.stringify(String(body).slice(0, 160))}`;
      const problem =
        errorBodyProblem(res, method) ??
        (extra.allowed && !extra.allowed.includes(res.status) ? `status ${res.status} not in ${extra.allowed}: ${res.text.slice(0, 200)}` : null) ??
        extra.check?.(res) ??
        null;
      if (problem) problems.push(`${what}: ${method} ${urlPath.slice(0, 120)}${bodyText}: ${problem}`);
      return res;
    }

    const noSecret: Check = (res) =>
      res.text.includes(SECRET) || /root:.*:0:0:/.test(res.text) ? 'served content from outside the compose root' : null;
    const recordCreated: Check = (res) => {
      if (res.status !== 200) return null;
      const b = res.body as { id?: unknown; state_name?: unknown } | undefined;
      if (!b || typeof b.id !== 'number') return `200 without a compose: ${res.text.slice(0, 200)}`;
      created.push(b.id);
      return ['wait', 'generating', 'done', 'failed'].includes(String(b.state_name)) ? null : `new compose in state ${String(b.state_name)}`;
    };
    const someId = () => (created.length && r.bool(0.4) ? String(created[r.int(created.length)]) : r.pick(GARBAGE_IDS));
    const bodyOf = (b: unknown): string | Buffer => {
      if (b && typeof b === 'object' && 'raw' in b) return (b as { raw: string }).raw;
      if (b && typeof b === 'object' && 'bytes' in b) return (b as { bytes: Buffer }).bytes;
      return JSON.stringify(b);
    };

    const repoRoot = stack.config.repoRoots[0];
    for (const b of targetedBodies(repoRoot)) {
      await send('targeted POST', 'POST', '/api/1/composes/', JSON.stringify(b), { allowed: [200, 400, 403], check: recordCreated });
    }
    if (created.length) {
      for (const b of [{ 'seconds-to-live': -1e20 }, { seconds_to_live: 2 ** 31 }, { label: 'あ'.repeat(1300) }, { sigkeys: ['a\u0000'] }, { source: { builds: ['x'], modules: ['a:b'] } }, { sigkeys: 'abc' }, { source: [] }]) {
        await send('targeted PATCH', 'PATCH', `/api/1/composes/${created[0]}`, JSON.stringify(b), { allowed: [200, 400, 403, 404] });
      }
    }

    let sent = 0;
    for (; sent < REQUESTS; sent++) {
      const roll = r.int(100);
      if (roll < 30) {
        const b = fuzzedPostBody(r);
        const headers: Record<string, string> = r.bool(0.5) ? { 'content-type': r.pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1']) } : {};
        await send('fuzzed POST', 'POST', r.pick(['/api/1/composes/', '/api/1/composes']), bodyOf(b), { allowed: [200, 400, 403, 404, 413], check: recordCreated, headers });
      } else if (roll < 33) {
        // Over BODY_LIMIT, with and without a Content-Length.
        const big = JSON.stringify({ source: { type: 'tag', source: 'fz', packages: Array.from({ length: 800 }, (_, i) => `pkg-${i}`) } });
        const chunked = r.bool();
        await send(`oversized POST (chunked=${chunked})`, r.pick(['POST', 'PATCH']), r.pick(['/api/1/composes/', '/api/1/composes/1']), big, {
          allowed: [413],
          chunked,
        });
      } else if (roll < 41) {
        const id = r.pick(GARBAGE_IDS);
        await send('GET garbage id', 'GET', `/api/1/composes/${enc(id)}`, undefined, { allowed: [200, 301, 404] });
      } else if (roll < 55) {
        const q = listQuery(r);
        await send('list query', 'GET', `/api/1/composes/?${q}`, undefined, {
          allowed: [200, 400],
          check: (res) => {
            if (res.status !== 200) return null;
            const b = res.body as { items?: unknown; meta?: { page?: unknown; per_page?: unknown; total?: unknown } };
            if (!Array.isArray(b?.items) || typeof b.meta?.total !== 'number') return `list without items/meta: ${res.text.slice(0, 200)}`;
            if (typeof b.meta.page !== 'number' || typeof b.meta.per_page !== 'number') return `bad meta ${JSON.stringify(b.meta)}`;
            return null;
          },
        });
      } else if (roll < 64) {
        const b = r.bool(0.2) ? undefined : r.bool(0.5) ? { 'seconds-to-live': randomValue(r) } : r.bool(0.5) ? fuzzedPostBody(r) : randomValue(r);
        await send('PATCH', 'PATCH', `/api/1/composes/${enc(someId())}`, b === undefined ? undefined : bodyOf(b), {
          allowed: [200, 400, 403, 404, 413],
          // A renew answers the same compose (extended, in whatever state it is) or a new copy.
          check: (res) => {
            if (res.status !== 200) return null;
            const c = res.body as { id?: unknown };
            if (typeof c?.id !== 'number') return `200 without a compose: ${res.text.slice(0, 200)}`;
            if (!created.includes(c.id)) created.push(c.id);
            return null;
          },
        });
      } else if (roll < 68) {
        const b = r.bool(0.8) ? undefined : bodyOf(randomValue(r));
        await send('DELETE', 'DELETE', `/api/1/composes/${enc(someId())}`, b, { allowed: [202, 400, 403, 404, 413] });
      } else if (roll < 78) {
        const p = r.pick(ESCAPES);
        await send('escape', r.pick(['GET', 'GET', 'HEAD']), p, undefined, { allowed: [301, 404], check: noSecret });
      } else if (roll < 81) {
        const p = r.pick(INSIDE_OK);
        await send('inside', 'GET', p, undefined, { allowed: [200], check: (res) => noSecret(res) ?? (p.endsWith('ok.txt') && res.text !== 'inside' ? 'wrong file content' : null) });
      } else if (roll < 86) {
        // Odd paths and methods elsewhere.
        const p = r.pick([
          '/api/1/about', '/api/1/about/', '/api/1/about/%00', '/api/1/about?x=%00', '/api/1/', '/api/2/composes/',
          '/api/1/composes/1/extra', '/api/1/composes//', '/api/1/../1/composes/', '/api/1/%2e%2e/1/composes/',
          '/api/1/composes/%2e%2e', '/nope', '/%00', '/api/1/COMPOSES/', '/healthz', '/api/1/composes/1/../2',
        ]);
        const method = r.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']);
        await send('odd path', method, p, method === 'GET' || method === 'HEAD' ? undefined : bodyOf(randomValue(r)), {
          allowed: [200, 202, 204, 301, 400, 403, 404, 405, 413],
        });
      } else if (roll < 92) {
        // Valid requests, so the fuzz also runs next to real composes.
        await send('valid POST', 'POST', '/api/1/composes/', JSON.stringify(validBody(r)), { allowed: [200], check: recordCreated });
      } else if (roll < 96) {
        const id = created.length ? created[r.int(created.length)] : 1;
        await send('valid GET', 'GET', `/api/1/composes/${id}`, undefined, {
          allowed: created.length ? [200] : [200, 404],
          check: (res) => (res.status === 200 && (res.body as { id?: number })?.id !== id ? 'wrong compose returned' : null),
        });
      } else if (roll < 98) {
        await send('valid list', 'GET', `/api/1/composes/?owner=unknown&order_by=${r.pick(['id', '-id', 'state', '-time_done'])}&per_page=${1 + r.int(50)}`, undefined, { allowed: [200] });
      } else {
        await send('valid about', 'GET', r.pick(['/api/1/about', '/api/1/about/']), undefined, { allowed: [200] });
      }
    }
    const elapsed = Date.now() - started;
    if (process.env.FUZZ_TIMING) {
      for (const [what, [n, ms, max]] of [...timing].sort((a, b) => b[1][1] - a[1][1])) process.stderr.write(`[fuzz]   ${what}: ${n} requests, ${ms} ms, slowest ${max} ms\n`);
    }
    process.stderr.write(
      `[fuzz] ${sent} requests in ${elapsed} ms; statuses ${JSON.stringify(Object.fromEntries([...tally].sort((a, b) => a[0] - b[0])))}; ${created.length} composes created\n`,
    );

    // Every escape is also tried once, whatever the dice said.
    for (const p of ESCAPES) await send('escape (exhaustive)', 'GET', p, undefined, { allowed: [301, 404], check: noSecret });
    for (const p of INSIDE_OK) await send('inside (exhaustive)', 'GET', p, undefined, { allowed: [200], check: noSecret });

    // No compose may stay half-written: each one ends in done, failed or removed.
    const deadline = Date.now() + 60_000;
    let pending: { id: number; state: number }[] = [];
    for (;;) {
      const { rows } = await stack.pool.query<{ id: number; state: number }>('SELECT id::int, state FROM composes WHERE state NOT IN (2, 3, 4) ORDER BY id');
      pending = rows;
      if (pending.length === 0 || Date.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    const total = (await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM composes')).rows[0].n;
    process.stderr.write(`[fuzz] ${total} compose rows, all settled after ${Date.now() - started - elapsed} ms\n`);

    if (problems.length) {
      if (process.env.FUZZ_LOG) fs.writeFileSync(process.env.FUZZ_LOG, problems.join('\n') + '\n');
      const shown = problems.slice(0, 40).join('\n  ');
      assert.fail(`seed ${SEED}: ${problems.length} problem(s) (rerun with FUZZ_SEED=${SEED}):\n  ${shown}`);
    }
    assert.deepEqual(pending, [], `composes still in wait/generating: ${JSON.stringify(pending)}`);
    assert.equal(sent, REQUESTS);
    assert.ok(created.length > 0, 'no valid compose was created');
  });
});
