// The `migrate` entry point of the production topology (docker-compose's migrate service).
import { loadConfig } from '../core/config.js';
import { migrate } from '../activities/db/migrate.js';

const config = loadConfig(process.env, process.cwd());
if (!config.databaseUrl) {
  console.error('migrate: DATABASE_URL is not set');
  process.exit(2);
}
const applied = await migrate(config.databaseUrl, (msg) => console.error(msg));
console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
