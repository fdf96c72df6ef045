// Provider-cache operations (the seed SOP as commands), talking to PostgreSQL and Temporal with
// the environment configuration:
//   odcs-flow refresh <provider> [--package P]   one provider (or one package of a package provider)
//   odcs-flow refresh --all                      the dependency-ordered runbook as one workflow
//   odcs-flow cache clear [--provider PREFIX]    empty the cache, or the providers starting with PREFIX
//   odcs-flow cache stats                        rows, size, age and last error per provider
//   odcs-flow debug                              a REPL with the cache, the providers and clients loaded
// Refreshes run as Temporal workflows (the deterministic ids dedupe them with any other request)
// and the command waits for the result; --direct runs the provider in this process instead.
import repl from 'node:repl';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { Command, Option } from 'commander';
import type pg from 'pg';
import { loadConfig, type AppConfig } from '../core/config.js';
import * as registry from '../core/providers/registry.js';
import { PROVIDER_NAMES, REFRESH_PHASES, resolveProviderName, type ProviderName, type RefreshSummary } from '../core/providers/registry.js';
import * as releases from '../core/providers/releases.js';
import * as cache from '../store/cache.js';
import { createPool } from '../store/pool.js';
import * as http from '../activities/providers/http.js';
import { GLOBAL_MODULES, PACKAGE_MODULES } from '../activities/providers/index.js';
import { ProviderRuntime } from '../activities/providers/runtime.js';
import { startRefresh, startRefreshAll } from '../temporal/providers.js';
import { CliError } from './api-client.js';

function config(): AppConfig {
  return loadConfig(process.env, process.cwd());
}

async function withPool<T>(c: AppConfig, fn: (pool: pg.Pool) => Promise<T>): Promise<T> {
  if (!c.databaseUrl) throw new CliError('DATABASE_URL is not set', 2);
  const pool = createPool(c.databaseUrl, 4);
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

async function withClient<T>(c: AppConfig, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: c.temporalAddress, connectTimeout: 5_000 });
  try {
    return await fn(new Client({ connection, namespace: c.temporalNamespace }));
  } finally {
    await connection.close();
  }
}

const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
const link = (c: AppConfig, id: string) =>
  `${c.temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(c.temporalNamespace)}/workflows/${encodeURIComponent(id)}`;

function providerArg(name: string): ProviderName {
  const p = resolveProviderName(name);
  if (!p) throw new CliError(`unknown provider ${JSON.stringify(name)}; known: ${PROVIDER_NAMES.join(', ')} (or ${Object.keys(registry.PROVIDER_ALIASES).join(', ')})`, 2);
  return p;
}

/** The innermost message of a failed workflow. */
function failureMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown };
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

export function refreshCommand(): Command {
  return new Command('refresh')
    .description('refresh a provider cache now (through Temporal; waits for the result)')
    .argument('[provider]', `provider name or alias: ${PROVIDER_NAMES.join(', ')}`)
    .option('--all', 'every provider in dependency order (the refresh-all workflow)')
    .option('--package <name>', 'one package of a package provider (default: every package asked for recently)')
    .option('--no-wait', 'start the workflow and print its id, do not wait')
    .addOption(new Option('--direct', 'run in this process, without Temporal (needs DATABASE_URL)').conflicts('wait'))
    .action(async (name: string | undefined, o: { all?: boolean; package?: string; wait: boolean; direct?: boolean }) => {
      if (Boolean(o.all) === Boolean(name)) throw new CliError('name one provider, or --all', 2);
      if (o.all && o.package) throw new CliError('--package does not go with --all', 2);
      const c = config();
      const provider = name ? providerArg(name) : null;
      if (provider && o.package) {
        if (registry.isGlobal(provider)) throw new CliError(`${provider} is a global provider: it takes no --package`, 2);
        if (!registry.isValidPackageName(o.package)) throw new CliError(`invalid package name ${JSON.stringify(o.package)}`, 2);
      }
      if (o.direct) {
        await withPool(c, async (pool) => {
          const rt = new ProviderRuntime({ pool, providers: c.providers });
          const results: RefreshSummary[] = [];
          const failures: string[] = [];
          for (const phase of provider ? [[provider]] : REFRESH_PHASES) {
            for (const p of phase) {
              try {
                const r = await rt.refresh(p, o.package);
                results.push(r);
                process.stderr.write(`${p}: ${r.outcome}${r.count ? ` (${r.count})` : ''}\n`);
              } catch (err) {
                if (!(err instanceof http.UpstreamError || err instanceof http.MalformedUpstreamError)) throw err;
                failures.push(`${p}: ${err.message}`);
                process.stderr.write(`${p}: FAILED: ${err.message}\n`);
              }
            }
          }
          print({ results, failures });
          if (failures.length) throw new CliError(`${failures.length} provider refresh${failures.length === 1 ? '' : 'es'} failed`);
        });
        return;
      }
      await withClient(c, async (client) => {
        const started = provider ? await startRefresh(client, c, provider, o.package) : await startRefreshAll(client, c);
        process.stderr.write(`workflow ${started.workflowId} (${link(c, started.workflowId)})\n`);
        if (!o.wait) return print({ workflow_id: started.workflowId, run_id: started.runId });
        try {
          print(await client.workflow.getHandle(started.workflowId, started.runId).result());
        } catch (err) {
          if (err instanceof WorkflowFailedError) throw new CliError(`refresh failed: ${failureMessage(err)}`);
          throw err;
        }
      });
    });
}

export function cacheCommand(): Command {
  const cmd = new Command('cache').description('the provider cache in PostgreSQL (uses DATABASE_URL)');
  cmd
    .command('clear')
    .description('delete cached data: everything, or the providers whose name starts with PREFIX')
    .option('--provider <prefix>', 'provider name prefix, e.g. packager-dashboard or bodhi_')
    .action(async (o: { provider?: string }) => {
      if (o.provider !== undefined && o.provider.trim() === '') throw new CliError('--provider needs a non-empty prefix', 2);
      const c = config();
      await withPool(c, async (pool) => {
        const deleted = await cache.clearCache(pool, o.provider);
        process.stdout.write(`deleted ${deleted} row${deleted === 1 ? '' : 's'}${o.provider ? ` of providers starting with ${o.provider}` : ''}\n`);
      });
    });
  cmd
    .command('stats')
    .description('rows, bytes, last refresh and last error per provider')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const c = config();
      await withPool(c, async (pool) => {
        const stats = await cache.cacheStats(pool);
        if (o.json) return print(stats);
        const rows = stats.map((s) => [s.provider, String(s.rows), String(s.bytes), s.last_refreshed?.toISOString() ?? '-', s.last_error ? s.last_error.slice(0, 80) : '']);
        const head = ['PROVIDER', 'ROWS', 'BYTES', 'LAST REFRESH', 'LAST ERROR'];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
        for (const r of [head, ...rows]) process.stdout.write(`${r.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()}\n`);
      });
    });
  return cmd;
}

export function debugCommand(): Command {
  return new Command('debug').description('a REPL with the cache, the providers and the clients loaded').action(async () => {
    const c = config();
    if (!c.databaseUrl) throw new CliError('DATABASE_URL is not set', 2);
    const pool = createPool(c.databaseUrl, 4);
    const runtime = new ProviderRuntime({ pool, providers: c.providers });
    let connection: Connection | null = null;
    const temporal = async () => {
      connection ??= await Connection.connect({ address: c.temporalAddress, connectTimeout: 5_000 });
      return new Client({ connection, namespace: c.temporalNamespace });
    };
    const context = {
      config: c,
      pool,
      cache,
      runtime,
      upstream: runtime.client,
      providers: { ...GLOBAL_MODULES, ...PACKAGE_MODULES },
      registry,
      releases,
      http,
      temporal,
      sql: async (text: string, params: unknown[] = []) => (await pool.query(text, params)).rows,
      refresh: (provider: string, arg?: string) => runtime.refresh(providerArg(provider), arg),
    };
    process.stdout.write(
      [
        'odcs-flow debug: top-level await works. In scope:',
        '  config, pool, sql(text, params)      configuration and PostgreSQL',
        '  cache.readRow(pool, provider, arg)   cached rows (store/cache.ts)',
        '  refresh(provider, pkg?)              run a provider here, without Temporal',
        '  runtime, upstream, providers, http   the provider runtime, its HTTP client and modules',
        '  registry, releases                   provider names, order, labels',
        '  await temporal()                     a Temporal client',
        '',
      ].join('\n'),
    );
    const server = repl.start({ prompt: 'odcs-flow> ', useGlobal: false });
    Object.assign(server.context, context);
    await new Promise<void>((resolve) => server.on('exit', () => resolve()));
    await pool.end();
    await (connection as Connection | null)?.close();
  });
}
