// `odcs-flow schedules`: the Temporal Schedules this deployment runs (provider refreshes, garbage
// collection, the compose reconciler): list them, trigger one now, pause or unpause one.
import { Client, Connection } from '@temporalio/client';
import { Command } from 'commander';
import { loadConfig } from '../core/config.js';

async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, process.cwd());
  const connection = await Connection.connect({ address: config.temporalAddress, connectTimeout: 5_000 });
  try {
    return await fn(new Client({ connection, namespace: config.temporalNamespace }));
  } finally {
    await connection.close();
  }
}

const every = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;
};

export function schedulesCommand(): Command {
  const cmd = new Command('schedules').description('list, trigger and pause the Temporal Schedules (uses TEMPORAL_ADDRESS)');

  cmd
    .command('list')
    .description('every schedule with its interval, state and next run')
    .option('--json', 'machine-readable output')
    .action(async (o) =>
      withClient(async (client) => {
        const rows: Array<{ id: string; workflow: string; every: string; state: string; next: string; note: string }> = [];
        for await (const s of client.schedule.list()) {
          const intervals = (s.spec?.intervals ?? []).map((i) => every(Number(i.every)));
          rows.push({
            id: s.scheduleId,
            workflow: s.action?.type === 'startWorkflow' ? s.action.workflowType : '',
            every: intervals.join(',') || '-',
            state: s.state.paused ? 'paused' : 'active',
            next: s.info.nextActionTimes[0]?.toISOString() ?? '-',
            note: s.state.note ?? '',
          });
        }
        rows.sort((a, b) => a.id.localeCompare(b.id));
        if (o.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        const cols = ['id', 'workflow', 'every', 'state', 'next'] as const;
        const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
        const line = (v: string[]) => v.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd();
        process.stdout.write(`${[line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join('\n')}\n`);
      }),
    );

  cmd
    .command('trigger <id>')
    .description('run a schedule now')
    .action(async (id: string) =>
      withClient(async (client) => {
        await client.schedule.getHandle(id).trigger();
        process.stdout.write(`triggered ${id}\n`);
      }),
    );

  cmd
    .command('pause <id>')
    .description('pause a schedule')
    .option('--note <text>', 'why (shown in the Temporal UI)', 'paused with odcs-flow schedules pause')
    .action(async (id: string, o) =>
      withClient(async (client) => {
        await client.schedule.getHandle(id).pause(o.note);
        process.stdout.write(`paused ${id}\n`);
      }),
    );

  cmd
    .command('unpause <id>')
    .description('resume a paused schedule')
    .action(async (id: string) =>
      withClient(async (client) => {
        await client.schedule.getHandle(id).unpause('unpaused with odcs-flow schedules unpause');
        process.stdout.write(`unpaused ${id}\n`);
      }),
    );
  return cmd;
}
