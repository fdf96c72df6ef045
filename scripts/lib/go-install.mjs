// One pinned `go install` into the per-machine cache: built in a private staging directory and
// renamed into place, so an interrupted build never leaves a broken binary. Plain JavaScript: the
// bootstrap uses it before npm install.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Builds `pkg@version` (static, CGO_ENABLED=0) to `target` unless it exists. Returns null on
 * success, or a one-line reason on failure.
 */
export function goInstall({ pkg, version, target, binary, ldflags = '-s -w', cwd }) {
  if (fs.existsSync(target)) return null;
  const dir = path.dirname(target);
  // Nothing may be assumed to exist on a new machine: make the cache directory before the staging one.
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(dir), '.build-'));
  try {
    const r = spawnSync('go', ['install', '-trimpath', '-ldflags', ldflags, `${pkg}@v${version}`], {
      stdio: 'inherit',
      cwd,
      env: { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'auto', GOBIN: staging, GOFLAGS: '-mod=mod' },
    });
    if (r.error) return `go install ${pkg}@v${version} failed (${r.error.message})`;
    if (r.status !== 0) return `go install ${pkg}@v${version} failed (exit status ${r.status})`;
    fs.mkdirSync(dir, { recursive: true });
    fs.renameSync(path.join(staging, binary), target);
    return null;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
