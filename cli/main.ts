// `odcs-flow`: the operators' and clients' command line. Compose commands talk to the HTTP API
// (--server, --token); operations commands talk to PostgreSQL and Temporal (environment config).
import { Command } from 'commander';
import { CliError, type ApiOptions } from './api-client.js';
import { composeCommand } from './compose-commands.js';
import { migrateCommand } from './migrate-command.js';
import { schedulesCommand } from './schedules-command.js';
import { cacheCommand, debugCommand, refreshCommand } from './provider-commands.js';

const program = new Command('odcs-flow')
  .description('On Demand Compose Service on Temporal: composes and provider caches')
  .option('--server <url>', 'API base URL (env ODCS_FLOW_SERVER)', undefined)
  .option('--token <token>', 'bearer token (env ODCS_FLOW_TOKEN)')
  .option('--token-file <file>', 'file holding the bearer token (env ODCS_FLOW_TOKEN_FILE)')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

const apiOptions = (): ApiOptions => program.opts();
program.addCommand(composeCommand(apiOptions));
program.addCommand(migrateCommand());
program.addCommand(schedulesCommand());
program.addCommand(refreshCommand());
program.addCommand(cacheCommand());
program.addCommand(debugCommand());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const code = err instanceof CliError ? err.exitCode : 1;
  process.stderr.write(`odcs-flow: ${(err as Error).message}\n`);
  process.exit(code);
}
