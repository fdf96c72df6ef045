// Looking at a generated compose as its users do: dnf against the served repository, and the
// RPM files in its tree.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { testTmpDir } from './stack.js';

const execFileAsync = promisify(execFile);

/**
 * `dnf repoclosure` against a compose's repository as served over HTTP (as an x86_64 machine; with
 * `arches`, only packages of those arches are checked, e.g. ['i686', 'noarch'] for multilib's).
 * Asynchronous on purpose: the API answering dnf usually runs in this very process.
 */
export async function repoclosure(baseurl: string, arches: string[] = []): Promise<{ ok: boolean; output: string }> {
  const tmp = testTmpDir('dnf');
  try {
    const { stdout: output } = await execFileAsync(
      'dnf',
      ['repoclosure', '-q', '--setopt=reposdir=/dev/null', `--setopt=cachedir=${tmp}/cache`, `--installroot=${tmp}/root`,
        '--releasever=0', '--forcearch=x86_64', `--repofrompath=c,${baseurl}`, '--repo=c', '--check=c', ...arches.map((a) => `--arch=${a}`)],
      { encoding: 'utf8' },
    );
    return { ok: true, output };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** File names of the RPMs in a compose's tree for one arch, sorted. */
export function rpmsInCompose(composeRoot: string, id: number, arch = 'x86_64'): string[] {
  return fs
    .readdirSync(path.join(composeRoot, `odcs-${id}`, 'compose', 'Temporary', arch, 'os', 'Packages'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.rpm'))
    .map((f) => path.basename(f))
    .sort();
}
