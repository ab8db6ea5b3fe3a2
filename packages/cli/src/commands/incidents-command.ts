import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import type { IncidentAction } from './incidents.js';

/** `vigil incidents ls|show|ack|update|resolve|postmortem`; the actions load when they run. */
export function registerIncidents(program: Command, cli: () => Promise<CliContext>): void {
  const incidents = program
    .command('incidents')
    .description('list, show, acknowledge, update and resolve incidents, and publish postmortems (through the API)');
  const run = async (action: IncidentAction) => (await import('./incidents.js')).incidentsCommand(await cli(), action);
  incidents
    .command('ls')
    .description('open incidents (--all: every incident, newest first)')
    .option('--all', 'include resolved incidents')
    .option('--json', 'machine-readable output')
    .action((opts: { all?: boolean; json?: boolean }) =>
      run({ kind: 'ls', all: Boolean(opts.all), json: Boolean(opts.json) }),
    );
  incidents
    .command('show <id>')
    .description('one incident with its checks, downtime bounds and timeline')
    .option('--json', 'machine-readable output')
    .action((id: string, opts: { json?: boolean }) => run({ kind: 'show', id, json: Boolean(opts.json) }));
  incidents
    .command('ack <id>')
    .description('acknowledge: stops escalation')
    .option('--by <name>', 'who acknowledges (default: your user name)')
    .action((id: string, opts: { by?: string }) => run({ kind: 'ack', id, ...opts }));
  incidents
    .command('resolve <id>')
    .description('resolve by hand')
    .option('--by <name>', 'who resolves (default: your user name)')
    .option('-m, --message <text>', 'the timeline entry')
    .action((id: string, opts: { by?: string; message?: string }) => run({ kind: 'resolve', id, ...opts }));
  incidents
    .command('update <id>')
    .description('add a timeline entry and set the status')
    .requiredOption('--status <status>', 'investigating, identified, monitoring or resolved')
    .requiredOption('-m, --message <text>', 'what to tell people')
    .option('--by <name>', 'who resolves, with --status resolved (other updates are recorded as the token)')
    .action((id: string, opts: { status: string; message: string; by?: string }) =>
      run({ kind: 'update', id, ...opts }),
    );
  incidents
    .command('postmortem <id>')
    .description('publish the postmortem of a resolved incident from a Markdown file, or withdraw it')
    .option('-f, --file <path>', 'the Markdown file (at most 100 KB)')
    .option('--delete', 'withdraw the published postmortem')
    .option('--by <name>', 'who wrote it (default: your user name)')
    .action((id: string, opts: { file?: string; delete?: boolean; by?: string }) =>
      run({ kind: 'postmortem', id, ...opts, delete: Boolean(opts.delete) }),
    );
}
