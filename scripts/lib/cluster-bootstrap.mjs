// `npm run cluster`'s part of the bootstrap: the Temporal server, temporal-sql-tool and the UI
// server built once per machine into the cache (pinned, CGO_ENABLED=0), and Temporal's PostgreSQL
// schema files copied next to the server from its Go module.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLUSTER_TOOLS, TEMPORAL_SERVER_VERSION, clusterToolPath, temporalSchemaDir } from './cluster-tools.mjs';
import { goInstall } from './go-install.mjs';

/** Returns null when everything is there, or a one-line reason why it cannot be. */
export function ensureClusterTools({ log, hasGo }) {
  for (const [name, tool] of Object.entries(CLUSTER_TOOLS)) {
    const target = clusterToolPath(name);
    if (fs.existsSync(target)) continue;
    if (process.env[tool.env]) return `${tool.env}=${process.env[tool.env]} does not exist`;
    if (!hasGo) return `${tool.file} is missing and Go is not installed to build it (or set ${tool.env})`;
    log(`building ${tool.file} v${tool.version} with go install (a few minutes, once per machine)`);
    const why = goInstall({ pkg: tool.pkg, version: tool.version, target, binary: tool.binary });
    if (why) return why;
  }
  return ensureSchemaFiles({ log, hasGo });
}

function ensureSchemaFiles({ log, hasGo }) {
  const target = temporalSchemaDir();
  if (fs.existsSync(path.join(target, 'temporal', 'versioned')) && fs.existsSync(path.join(target, 'visibility', 'versioned'))) return null;
  if (process.env.TEMPORAL_SCHEMA_DIR) return `TEMPORAL_SCHEMA_DIR=${process.env.TEMPORAL_SCHEMA_DIR} has no temporal/versioned and visibility/versioned`;
  if (!hasGo) return 'Temporal\'s schema files are missing and Go is not installed to fetch them (or set TEMPORAL_SCHEMA_DIR)';
  log(`copying Temporal ${TEMPORAL_SERVER_VERSION}'s PostgreSQL schema files into the cache`);
  const r = spawnSync('go', ['mod', 'download', '-json', `go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`], {
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'auto', GOFLAGS: '-mod=mod' },
  });
  if (r.status !== 0) return `go mod download go.temporal.io/server@v${TEMPORAL_SERVER_VERSION} failed: ${(r.stderr || '').trim().split('\n').pop()}`;
  const source = path.join(JSON.parse(r.stdout).Dir, 'schema', 'postgresql', 'v12');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(target), '.copy-'));
  try {
    fs.cpSync(source, staging, { recursive: true });
    // The module cache is read-only; the copy must stay removable.
    spawnSync('chmod', ['-R', 'u+w', staging]);
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staging, target);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return null;
}
