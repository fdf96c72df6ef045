// `npm test`: starts a private PostgreSQL and Temporal dev server on free ports, runs every test
// file with node's test runner (through tsx) against them, then stops both. Where a Docker engine
// answers, ODCS_TEST_CONTAINERS=1 takes both from testcontainers instead (see test/harness).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServices } from '../test/harness/services.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(p));
    else if (entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

/** The whole suite starts with the type checker: a type error fails the build like a test. */
function typecheck(): Promise<number> {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const child = spawn(process.execPath, [tsc, '--noEmit', '-p', root], { cwd: root, stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  if (only.length === 0) {
    const started = Date.now();
    if ((await typecheck()) !== 0) {
      process.stderr.write('[test] type errors: see above\n');
      return 1;
    }
    process.stderr.write(`[test] typecheck passed (${Date.now() - started} ms)\n`);
  }
  const files = only.length ? only.map((f) => path.resolve(f)) : findTests(path.join(root, 'test'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'odcs-flow-test-'));
  fs.chmodSync(tmp, 0o755);
  const started = Date.now();
  const services = await startTestServices(tmp);
  process.stderr.write(`[test] ${services.kind}: PostgreSQL ${services.databaseUrl}, Temporal ${services.temporalAddress} (${Date.now() - started} ms)\n`);
  const stop = async () => {
    await services.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    // A file that is not a test (a capture script) runs as a plain program with the services.
    const plain = files.length === 1 && !files[0].endsWith('.test.ts');
    const runner = plain ? ['--import', 'tsx', files[0]] : ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files];
    const child = spawn(process.execPath, runner, {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        ODCS_TEST_DATABASE_URL: services.databaseUrl,
        ODCS_TEST_TEMPORAL_ADDRESS: services.temporalAddress,
        ODCS_TEST_TMP: tmp,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      },
    });
    return await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  } finally {
    await stop();
  }
}

process.exitCode = await main();
