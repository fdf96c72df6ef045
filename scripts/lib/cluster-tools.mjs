// Pinned versions and cache paths of the Temporal cluster's binaries (server, temporal-sql-tool,
// UI server). The CLI v1.5.1 of `npm start` embeds server 1.29.1 and ui-server 2.42.1: the same.
import path from 'node:path';
import { cacheDir } from './tools.mjs';

export const TEMPORAL_SERVER_VERSION = '1.29.1';
export const TEMPORAL_UI_SERVER_VERSION = '2.42.1';

/** The three binaries `npm run cluster` runs, with the Go package each is built from. */
export const CLUSTER_TOOLS = {
  server: {
    pkg: 'go.temporal.io/server/cmd/server',
    version: TEMPORAL_SERVER_VERSION,
    binary: 'server',
    env: 'TEMPORAL_SERVER',
    file: 'temporal-server',
  },
  sqlTool: {
    pkg: 'go.temporal.io/server/cmd/tools/sql',
    version: TEMPORAL_SERVER_VERSION,
    binary: 'sql',
    env: 'TEMPORAL_SQL_TOOL',
    file: 'temporal-sql-tool',
  },
  uiServer: {
    pkg: 'github.com/temporalio/ui-server/v2/cmd/server',
    version: TEMPORAL_UI_SERVER_VERSION,
    binary: 'server',
    env: 'TEMPORAL_UI_SERVER',
    file: 'temporal-ui-server',
  },
};

/** Where a cluster binary lives: $<env> when set, else ~/.cache/odcs-flow/<file>-<version>/<file>. */
export function clusterToolPath(name) {
  const tool = CLUSTER_TOOLS[name];
  if (process.env[tool.env]) return path.resolve(process.env[tool.env]);
  return path.join(cacheDir(), `${tool.file}-${tool.version}`, tool.file);
}

/**
 * Temporal's PostgreSQL schema files (temporal/ and visibility/, each with versioned/ steps), copied
 * from the server's Go module into the cache by the bootstrap. TEMPORAL_SCHEMA_DIR overrides.
 */
export function temporalSchemaDir() {
  if (process.env.TEMPORAL_SCHEMA_DIR) return path.resolve(process.env.TEMPORAL_SCHEMA_DIR);
  return path.join(cacheDir(), `temporal-server-${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql', 'v12');
}
