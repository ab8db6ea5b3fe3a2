import type { CheckListState } from '@vigil/core';
import { type Command, Option } from 'commander';
import type { CheckFlags } from '../check-input.js';
import type { CliContext } from '../cli-context.js';

/** Core's CHECK_LIST_STATES; the compiler checks the list is complete, so `--help` need not load core. */
const STATES = Object.keys({
  up: true,
  degraded: true,
  down: true,
  unknown: true,
  new: true,
  paused: true,
} satisfies Record<CheckListState, true>);

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `vigil checks …`: list, show, add, remove, pause and resume checks through the API; the actions load when they run. */
export function registerChecks(program: Command, cli: () => Promise<CliContext>): void {
  const actions = () => import('./checks.js');
  const checks = program
    .command('checks')
    .description('list, show, add, remove, pause and resume checks (through the API: VIGIL_URL, VIGIL_TOKEN)');
  checks
    .command('ls')
    .description('checks this token can see, with their decided state')
    .option('--component <id>', 'only checks of this component')
    .option('--tag <tag>', 'only checks with this tag')
    .addOption(new Option('--state <state>', 'only checks in this state').choices(STATES))
    .option('--json', 'machine-readable output')
    .action(async (opts: { component?: string; tag?: string; state?: string; json?: boolean }) =>
      (await actions()).list(await cli(), opts),
    );
  checks
    .command('show <id>')
    .description('one check: its settings, uptime over 24h/7d/30d/90d and latest results')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => (await actions()).show(await cli(), id, opts));
  checks
    .command('add [id]')
    .description('register a check: -f check.yaml (one check, as in vigil.yaml), or <id> with --http or --tcp')
    .option('-f, --file <file>', 'a YAML or JSON file holding one check')
    .option('--http <url>', 'probe this http:// or https:// URL')
    .option('--tcp <host:port>', 'connect to this host and port')
    .option('--name <name>', 'a human name (default: the id)')
    .option('--interval <duration>', 'how often to probe, such as 30s or 1m')
    .option('--timeout <duration>', 'how long one probe may take')
    .option('--component <id>', 'the status page component it belongs to')
    .option('--vantages <a,b>', 'probe only from these vantages (default: all)')
    .option('--tag <tag>', 'a tag (repeatable)', collect)
    .option('--json', 'machine-readable output')
    .action(async (id: string | undefined, opts: CheckFlags & { file?: string; json?: boolean }) =>
      (await actions()).add(await cli(), id, opts),
    );
  checks
    .command('rm <id>')
    .description('remove a check: its probes stop within a scheduler tick')
    .action(async (id: string) => (await actions()).remove(await cli(), id));
  checks
    .command('pause <id>')
    .description('stop probing a check (no alerts while paused)')
    .action(async (id: string) => (await actions()).setPaused(await cli(), id, 'pause'));
  checks
    .command('resume <id>')
    .description('probe a paused check again')
    .action(async (id: string) => (await actions()).setPaused(await cli(), id, 'resume'));
}
