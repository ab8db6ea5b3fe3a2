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
    .description('acknowledge: stops escalation (recorded as your token’s owner and name)')
    .action((id: string) => run({ kind: 'ack', id }));
  incidents
    .command('resolve <id>')
    .description('resolve by hand (recorded as your token’s owner and name)')
    .option('-m, --message <text>', 'the timeline entry')
    .action((id: string, opts: { message?: string }) => run({ kind: 'resolve', id, ...opts }));
  incidents
    .command('update <id>')
    .description('add a timeline entry and set the status (recorded as your token’s owner and name)')
    .requiredOption('--status <status>', 'investigating, identified, monitoring or resolved')
    .requiredOption('-m, --message <text>', 'what to tell people')
    .action((id: string, opts: { status: string; message: string }) => run({ kind: 'update', id, ...opts }));
  incidents
    .command('postmortem <id>')
    .description('publish the postmortem of a resolved incident from a Markdown file, or withdraw it')
    .option('-f, --file <path>', 'the Markdown file (at most 100 KB)')
    .option('--delete', 'withdraw the published postmortem')
    .action((id: string, opts: { file?: string; delete?: boolean }) =>
      run({ kind: 'postmortem', id, ...opts, delete: Boolean(opts.delete) }),
    );
}
