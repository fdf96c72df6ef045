// `odcs-flow compose …`: the compose API from a shell. Output is the server's JSON (`--json`) or
// a table; errors are one line from the server's body; `wait` follows the events stream.
import { Command, Option } from 'commander';
import { apiClient, CliError, readEvents, type ApiClient, type ApiOptions } from './api-client.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const FINAL = new Set(['done', 'failed', 'removed']);

export const WAIT_EXIT = { done: 0, failed: 1, timeout: 2 } as const;

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new CliError(`not a whole number: ${value}`, 2);
  return Number(value);
}

/** Follows a compose until it is done, failed or removed; a live line on a terminal. */
export async function waitForCompose(api: ApiClient, id: number, timeoutSeconds: number, quiet = false): Promise<any> {
  const started = Date.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutSeconds * 1000);
  const tty = process.stderr.isTTY && !quiet;
  const show = (c: any) => {
    const elapsed = Math.round((Date.now() - started) / 1000);
    const line = `compose ${c.id}: ${c.state_name} (${elapsed}s)`;
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (!quiet) process.stderr.write(`${line}\n`);
  };
  try {
    // Subscribe first, then read the current state: nothing can happen in between unseen.
    const stream = await api.stream(`/api/1/events?compose_id=${id}`, controller.signal);
    let compose = await api.get(`/api/1/composes/${id}`);
    show(compose);
    if (!FINAL.has(compose.state_name)) {
      const ticker = tty ? setInterval(() => show(compose), 1000) : null;
      try {
        for await (const e of readEvents(stream)) {
          if (e.event !== 'state-changed') continue;
          compose = JSON.parse(e.data).compose;
          show(compose);
          if (FINAL.has(compose.state_name)) break;
        }
      } finally {
        if (ticker) clearInterval(ticker);
      }
    }
    controller.abort();
    if (tty) process.stderr.write('\n');
    return compose;
  } catch (err) {
    if (controller.signal.aborted && Date.now() - started >= timeoutSeconds * 1000 - 50) {
      if (tty) process.stderr.write('\n');
      throw new CliError(`compose ${id}: still not finished after ${timeoutSeconds} s`, WAIT_EXIT.timeout);
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export function composeCommand(globalOptions: () => ApiOptions): Command {
  const compose = new Command('compose').description('create, inspect, wait for, renew and delete composes');
  const api = () => apiClient(globalOptions());

  compose
    .command('create')
    .description('request a compose (POST /api/1/composes/)')
    .addOption(new Option('-t, --source-type <type>', 'source type').choices(['tag', 'repo', 'build', 'module', 'pulp', 'raw_config']).default('tag'))
    .option('-s, --source <source>', 'tag name, repository path, ... (several separated by spaces)', '')
    .option('-p, --package <name>', 'a package to include (repeatable; none = all)', collect)
    .option('-b, --build <nvr>', 'a build NVR, for --source-type build (repeatable)', collect)
    .option('-f, --flag <flag>', 'no_deps, no_inheritance, check_deps, no_reuse, ... (repeatable)', collect)
    .option('-a, --arch <arch>', 'an architecture (repeatable)', collect)
    .option('--sigkey <key>', 'an accepted signing key (repeatable)', collect)
    .option('--lookaside-repo <path>', 'a repository used only for dependencies (repeatable)', collect)
    .option('--result <result>', 'a result besides repository (repeatable)', collect)
    .option('--label <label>', 'compose label')
    .option('--compose-type <type>', 'test, nightly, production, development')
    .option('--target-dir <name>', 'an extra target directory configured on the server')
    .option('--seconds-to-live <n>', 'lifetime after the compose is done', positiveInt)
    .option('-w, --wait', 'wait until the compose is done or failed')
    .option('--timeout <s>', 'with --wait: give up after this many seconds', positiveInt, 3600)
    .action(async (o) => {
      const body: Record<string, unknown> = {
        source: {
          type: o.sourceType,
          source: o.source,
          ...(o.package ? { packages: o.package } : {}),
          ...(o.build ? { builds: o.build } : {}),
          ...(o.sigkey ? { sigkeys: o.sigkey } : {}),
        },
        ...(o.flag ? { flags: o.flag } : {}),
        ...(o.arch ? { arches: o.arch } : {}),
        ...(o.lookasideRepo ? { lookaside_repos: o.lookasideRepo } : {}),
        ...(o.result ? { results: o.result } : {}),
        ...(o.label ? { label: o.label } : {}),
        ...(o.composeType ? { compose_type: o.composeType } : {}),
        ...(o.targetDir ? { target_dir: o.targetDir } : {}),
        ...(o.secondsToLive !== undefined ? { seconds_to_live: o.secondsToLive } : {}),
      };
      const client = api();
      let created = await client.post('/api/1/composes/', body);
      if (o.wait) created = await waitForCompose(client, created.id, o.timeout);
      print(created);
      if (o.wait && created.state_name === 'failed') process.exitCode = WAIT_EXIT.failed;
    });

  compose
    .command('get <id>')
    .description('show a compose as JSON')
    .action(async (id: string) => print(await api().get(`/api/1/composes/${positiveInt(id)}`)));

  compose
    .command('list')
    .description('list composes, newest first')
    .option('--owner <owner>')
    .option('--source-type <type>')
    .option('--source <source>')
    .option('--state <state>', 'wait, generating, done, removed, failed (or 0-4)')
    .option('--label <label>')
    .option('--compose-type <type>')
    .option('--order-by <key>', 'id, state, time_submitted, ... (prefix - for descending)')
    .option('--page <n>', 'page', positiveInt)
    .option('--per-page <n>', 'composes per page', positiveInt)
    .option('--json', 'the raw response, with paging metadata')
    .action(async (o) => {
      const params = new URLSearchParams();
      const map: Record<string, unknown> = {
        owner: o.owner, source_type: o.sourceType, source: o.source, state: o.state, label: o.label,
        compose_type: o.composeType, order_by: o.orderBy, page: o.page, per_page: o.perPage,
      };
      for (const [k, v] of Object.entries(map)) if (v !== undefined) params.set(k, String(v));
      const res = await api().get(`/api/1/composes/?${params}`);
      if (o.json) return print(res);
      const rows = res.items.map((c: any) => ({
        id: c.id, state: c.state_name, owner: c.owner, source: `${c.source_type}:${c.source}`, packages: c.packages ?? '', expires: c.time_to_expire ?? '',
      }));
      process.stdout.write(table(rows, ['id', 'state', 'owner', 'source', 'packages', 'expires']));
      process.stderr.write(`page ${res.meta.page} of ${res.meta.pages}, ${res.meta.total} composes\n`);
    });

  compose
    .command('wait <id>')
    .description(`follow a compose until it ends; exit ${WAIT_EXIT.done} done, ${WAIT_EXIT.failed} failed, ${WAIT_EXIT.timeout} timeout`)
    .option('--timeout <s>', 'give up after this many seconds', positiveInt, 3600)
    .option('-q, --quiet', 'no progress line')
    .action(async (id: string, o) => {
      const c = await waitForCompose(api(), positiveInt(id), o.timeout, o.quiet);
      print(c);
      process.exitCode = c.state_name === 'failed' ? WAIT_EXIT.failed : WAIT_EXIT.done;
    });

  compose
    .command('renew <id>')
    .description('renew a removed or failed compose as a new one (or extend a live one)')
    .option('--seconds-to-live <n>', 'lifetime', positiveInt)
    .option('--label <label>', 'a new label (makes a new compose)')
    .action(async (id: string, o) => {
      const body = { ...(o.secondsToLive !== undefined ? { seconds_to_live: o.secondsToLive } : {}), ...(o.label ? { label: o.label } : {}) };
      print(await api().patch(`/api/1/composes/${positiveInt(id)}`, Object.keys(body).length ? body : undefined));
    });

  compose
    .command('extend <id>')
    .description('keep a live compose at least this much longer')
    .requiredOption('--seconds-to-live <n>', 'seconds from now', positiveInt)
    .action(async (id: string, o) => print(await api().patch(`/api/1/composes/${positiveInt(id)}`, { seconds_to_live: o.secondsToLive })));

  compose
    .command('delete <id>')
    .description('cancel a waiting compose, or remove a done or failed one now')
    .action(async (id: string) => print(await api().delete(`/api/1/composes/${positiveInt(id)}`)));

  return compose;
}
