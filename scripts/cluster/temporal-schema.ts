// Temporal's two PostgreSQL databases (persistence and visibility) created and brought to the
// schema version of the pinned server with temporal-sql-tool. Every step is safe to re-run:
// create-database and setup-schema -v 0.0 leave an existing database alone, update-schema applies
// only the versioned steps not applied yet (the schema_version table records them).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { clusterToolPath, temporalSchemaDir } from '../lib/cluster-tools.mjs';
import { TEMPORAL_DATABASES, type PostgresTarget } from './topology.js';

const run = promisify(execFile);

export interface SchemaResult {
  database: string;
  version: string;
}

export async function applyTemporalSchemas(db: PostgresTarget): Promise<SchemaResult[]> {
  const tool = clusterToolPath('sqlTool');
  const schemaDir = temporalSchemaDir();
  const results: SchemaResult[] = [];
  for (const [kind, database] of Object.entries(TEMPORAL_DATABASES)) {
    // Connection settings through the environment: the password stays out of `ps`.
    const env = {
      ...process.env,
      SQL_PLUGIN: 'postgres12',
      SQL_HOST: db.host,
      SQL_PORT: String(db.port),
      SQL_USER: db.user,
      SQL_PASSWORD: db.password,
      SQL_DATABASE: database,
    };
    const step = async (args: string[]) => {
      try {
        return await run(tool, args, { env });
      } catch (err) {
        const e = err as { stderr?: string; stdout?: string; message: string };
        const why = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim().split('\n').slice(-2).join(' | ') || e.message;
        throw new Error(`temporal-sql-tool ${args[0]} on ${database} failed: ${why}`);
      }
    };
    await step(['create-database']);
    await step(['setup-schema', '-v', '0.0']);
    await step(['update-schema', '-d', path.join(schemaDir, kind, 'versioned')]);
    results.push({ database, version: latestVersion(path.join(schemaDir, kind, 'versioned')) });
  }
  return results;
}

/** The newest versioned step (v1.18 > v1.9): the version update-schema ends at. */
function latestVersion(dir: string): string {
  const versions = fs.readdirSync(dir)
    .filter((d) => /^v\d+\.\d+$/.test(d))
    .map((d) => d.slice(1).split('.').map(Number) as [number, number])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const last = versions.at(-1);
  return last ? `${last[0]}.${last[1]}` : '0.0';
}
