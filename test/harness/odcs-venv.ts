// Fedora's ODCS 0.9.2 from PyPI in private virtualenvs under ${XDG_CACHE_HOME:-~/.cache}/odcs-flow/:
// `client` (odcs[client], for test/e2e/python-client.test.ts) and `server` (the ODCS API and
// gunicorn, for bench/odcs-peer.ts). Each is built once per machine under a temporary name and
// renamed, so a killed install is redone; a marker names what it holds. Errors say what is missing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The release pinned here (the newest on PyPI when written). */
export const ODCS_VERSION = '0.9.2';

export interface OdcsVenv {
  dir: string;
  python: string;
  bin: (script: string) => string;
  requirements: string[];
}

/** A header or command the pip build needs, and the Debian package giving it. */
interface BuildNeed {
  have: (python: string) => boolean;
  debian: string;
}

interface VenvKind {
  dir: string;
  requirements: string[];
  /** What must import for the venv to count as installed. */
  probe: string;
  needs: BuildNeed[];
  why: string;
}

const CACHE = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'odcs-flow');

const cc: BuildNeed = { have: () => onPath('cc') || onPath('gcc'), debian: 'gcc' };
const pythonHeaders: BuildNeed = {
  have: (python) =>
    sh(python, ['-c', "import sysconfig, os; print(os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))"], 30_000).output.trim() === 'True',
  debian: 'python3-dev',
};
const header = (file: string, debian: string): BuildNeed => ({ have: () => fs.existsSync(path.join('/usr/include', file)), debian });

const KINDS = {
  // odcs[client] needs requests-gssapi, whose gssapi has no Linux wheel: it is compiled.
  client: {
    dir: 'venv-odcs',
    requirements: [`odcs[client]==${ODCS_VERSION}`],
    probe: 'import odcs.client.odcs, odcs.client.cli',
    needs: [{ have: () => onPath('krb5-config'), debian: 'libkrb5-dev' }, cc, pythonHeaders],
    why: 'compiles gssapi',
  },
  // The API process of odcs[server] (no backend: Celery, Pungi, Koji, libmodulemd are not needed
  // to accept and list composes), with the versions odcs's own requirements allow, pinned.
  // odcs.server.auth imports python-ldap, which is compiled.
  server: {
    dir: 'venv-odcs-server',
    requirements: [
      `odcs==${ODCS_VERSION}`,
      'flask==2.3.3',
      'werkzeug==2.3.8',
      'flask-sqlalchemy==2.5.1',
      'sqlalchemy==1.4.54',
      'flask-login==0.6.2',
      'flask-migrate==4.1.0',
      'kobo==0.42.0',
      'prometheus-client==0.26.0',
      'python-ldap==3.4.8',
      'requests==2.34.2',
      'apispec==5.2.2',
      'apispec-webframeworks==0.5.2',
      'marshmallow==4.4.0',
      'pyjwt==2.15.1',
      'gunicorn==27.0.1',
    ],
    probe: 'import gunicorn, ldap, flask_sqlalchemy, flask_migrate, flask_login, kobo.conf, prometheus_client, odcs.common.types',
    needs: [header('ldap.h', 'libldap2-dev'), header('sasl/sasl.h', 'libsasl2-dev'), cc, pythonHeaders],
    why: 'compiles python-ldap',
  },
} satisfies Record<string, VenvKind>;

export type OdcsVenvKind = keyof typeof KINDS;

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function sh(cmd: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, env, maxBuffer: 64 * 1024 * 1024 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return { ok: r.status === 0, why: r.error ? r.error.message : `exit status ${r.status}`, output };
}

function describeVenv(kind: VenvKind): OdcsVenv {
  const dir = path.join(CACHE, kind.dir);
  return { dir, python: path.join(dir, 'bin', 'python'), bin: (script) => path.join(dir, 'bin', script), requirements: kind.requirements };
}

const marker = (kind: VenvKind) => kind.requirements.join('\n');

function ready(kind: VenvKind): boolean {
  const venv = describeVenv(kind);
  try {
    if (fs.readFileSync(path.join(venv.dir, '.odcs-flow-requirement'), 'utf8') !== marker(kind)) return false;
  } catch {
    return false;
  }
  return sh(venv.python, ['-c', kind.probe], 60_000).ok;
}

/** Headers and compilers for the packages pip builds: installed with apt-get when running as root. */
function ensureBuildTools(kind: VenvKind, python: string): void {
  const missing = kind.needs.filter((n) => !n.have(python)).map((n) => n.debian);
  if (missing.length === 0) return;
  const what = kind.requirements[0];
  const canApt = onPath('apt-get') && process.getuid?.() === 0;
  if (!canApt) throw new Error(`installing ${what} ${kind.why}, which needs: ${missing.join(' ')}. Install them (apt-get install ${missing.join(' ')}) and rerun.`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => sh('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], 15 * 60_000, env);
  let r = install();
  if (!r.ok) {
    sh('apt-get', ['update', '-q'], 10 * 60_000, env);
    r = install();
  }
  if (!r.ok) throw new Error(`apt-get install ${missing.join(' ')} failed (${r.why}), needed to build ${what}:\n${r.output.slice(-3000)}`);
}

/**
 * The virtualenv of `kind`, installed first if needed (PyPI must be reachable then). Throws with
 * the reason when it cannot be made: callers fail, they do not skip.
 */
export function ensureOdcsVenv(kindName: OdcsVenvKind, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): OdcsVenv {
  const kind: VenvKind = KINDS[kindName];
  const venv = describeVenv(kind);
  if (ready(kind)) return venv;
  const what = kind.requirements[0];
  if (!onPath('python3')) throw new Error(`python3 is not on PATH: it is needed to install Fedora's ODCS (${what})`);
  fs.mkdirSync(CACHE, { recursive: true });
  const prefix = `.${kind.dir}-build-`;
  // Builds a killed run left behind (an hour old: not one that another run is making right now).
  for (const name of fs.readdirSync(CACHE)) {
    const p = path.join(CACHE, name);
    if (name.startsWith(prefix) && Date.now() - fs.statSync(p).mtimeMs > 3_600_000) fs.rmSync(p, { recursive: true, force: true });
  }
  ensureBuildTools(kind, 'python3');
  const staging = fs.mkdtempSync(path.join(CACHE, prefix));
  try {
    const made = sh('python3', ['-m', 'venv', staging], 5 * 60_000);
    if (!made.ok) throw new Error(`python3 -m venv ${staging} failed (${made.why}):\n${made.output.slice(-3000)}`);
    log(`[odcs-venv] installing ${what} into ${venv.dir} (once per machine; ${kind.why}, about 1-2 minutes)`);
    const pip = sh(
      path.join(staging, 'bin', 'python'),
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--timeout', '30', '--retries', '3', ...kind.requirements],
      20 * 60_000,
      { ...process.env, PIP_NO_INPUT: '1' },
    );
    if (!pip.ok) {
      throw new Error(
        `could not install ${what} from PyPI into a virtualenv (${pip.why}). PyPI must be reachable once per machine ` +
          `to install Fedora's ODCS; nothing skips without it. pip said:\n${pip.output.slice(-4000)}`,
      );
    }
    fs.writeFileSync(path.join(staging, '.odcs-flow-requirement'), marker(kind));
    fs.chmodSync(staging, 0o755); // mkdtemp made it private
    fs.rmSync(venv.dir, { recursive: true, force: true }); // an older or broken one
    fs.renameSync(staging, venv.dir);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  if (!ready(kind)) throw new Error(`the virtualenv ${venv.dir} was made but cannot run: ${kind.probe}`);
  return venv;
}
