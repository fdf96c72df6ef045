// `node dist/scripts/cluster/namespace.js`: registers the Temporal namespace (TEMPORAL_NAMESPACE)
// and odcs-flow's search attributes on a real Temporal server once its frontend answers; the same
// step `npm run cluster` takes, as docker-compose.yml's one-shot `temporal-namespace` service.
import { ConfigError, loadConfig } from '../../core/config.js';
import { sleep } from '../services/process-utils.js';
import { ensureNamespace, frontendServing } from './temporal-admin.js';

async function main(): Promise<void> {
  const config = loadConfig(process.env, process.cwd());
  const deadline = Date.now() + 300_000;
  while (!(await frontendServing(config.temporalAddress).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`the Temporal frontend at ${config.temporalAddress} did not answer`);
    await sleep(1000);
  }
  const r = await ensureNamespace(config.temporalAddress, config.temporalNamespace);
  process.stdout.write(
    `namespace ${config.temporalNamespace}: ${r.created ? 'registered' : 'present'}; search attributes added: ${r.searchAttributes.join(', ') || 'none'}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`temporal-namespace: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
  process.exit(1);
});
