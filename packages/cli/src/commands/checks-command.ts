import type { CheckKind, CheckListState } from '@vigil/core';
import { type Command, Option } from 'commander';
import type { CheckFlags } from '../check-input.js';
import type { CliContext } from '../cli-context.js';

/**
 * One flag per check kind (its value as core's kind module names it in `flag.value`); typed by the
 * kinds, so a new kind without its flag does not compile, and `--help` need not load core.
 */
export const KIND_FLAGS = {
  http: { value: 'url', help: 'probe this http:// or https:// URL' },
  tcp: { value: 'host:port', help: 'connect to this host and port' },
  dns: {
    value: '[type:]name[@server]',
    help: "ask for this record (default type A), of this resolver (default: the prober host's)",
  },
  icmp: { value: 'host', help: 'ping this host (an IP address or a name) with ICMP echo requests' },
  heartbeat: {
    value: 'grace',
    help: 'expect a ping every interval, this late at most (the URL: vigil checks token ID)',
  },
} satisfies Record<CheckKind, { value: string; help: string }>;

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
  const kindFlags = Object.keys(KIND_FLAGS).map((kind) => `--${kind}`);
  const add = checks
    .command('add [id]')
    .description(
      `register a check: -f check.yaml (one check, as in vigil.yaml), or <id> with one of ${kindFlags.join(', ')}`,
    )
    .option('-f, --file <file>', 'a YAML or JSON file holding one check');
  for (const [kind, flag] of Object.entries(KIND_FLAGS)) add.option(`--${kind} <${flag.value}>`, flag.help);
  add
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
    .command('token <id>')
    .description('a new ping token for a heartbeat check, shown this once; the previous one stops working')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => (await actions()).token(await cli(), id, opts));
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
