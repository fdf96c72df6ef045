// `odcs-flow migrate`: applies pending database migrations (DATABASE_URL).
import { Command } from 'commander';
import { loadConfig } from '../core/config.js';
import { migrate } from '../store/migrate.js';
import { CliError } from './api-client.js';

export function migrateCommand(): Command {
  return new Command('migrate').description('apply pending database migrations (uses DATABASE_URL)').action(async () => {
    const config = loadConfig(process.env, process.cwd());
    if (!config.databaseUrl) throw new CliError('DATABASE_URL is not set', 2);
    const applied = await migrate(config.databaseUrl);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
  });
}
