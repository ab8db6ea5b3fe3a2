import { CHECK_LIST_STATES, type ProbeResult, type UptimeReport } from '@vigil/core';
import type { CheckView } from '@vigil/web';
import { type Command, Option } from 'commander';
import { type CheckFlags, checkFromFile, checkFromFlags, flagFor, inFile } from '../check-input.js';
import { renderCheck, renderCheckList } from '../check-render.js';
import type { CliContext } from '../cli-context.js';
import { inputError, relabelIssues } from '../field-errors.js';

/** Results `checks show` lists. */
const SHOWN_RESULTS = 10;

const checkPath = (id: string) => `/api/v1/checks/${encodeURIComponent(id)}`;

async function list(cli: CliContext, opts: { component?: string; tag?: string; state?: string; json?: boolean }) {
  const checks = await cli
    .api()
    .all<CheckView>('/api/v1/checks', { component: opts.component, tag: opts.tag, state: opts.state });
  if (opts.json) cli.json(checks);
  else cli.out(renderCheckList(checks, cli.colours));
}

async function show(cli: CliContext, id: string, opts: { json?: boolean }) {
  const api = cli.api();
  const check = await api.get<CheckView>(checkPath(id));
  const [results, uptime] = await Promise.all([
    api.get<{ items: ProbeResult[] }>(`${checkPath(id)}/results`, { limit: SHOWN_RESULTS }),
    api.get<UptimeReport>(`${checkPath(id)}/uptime`),
  ]);
  const view = { check, results: results.items, uptime };
  if (opts.json) cli.json(view);
  else cli.out(renderCheck(view, Date.now(), cli.colours));
}

async function add(cli: CliContext, id: string | undefined, opts: CheckFlags & { file?: string; json?: boolean }) {
  const { file, json, ...flags } = opts;
  const given = Object.entries(flags).filter(([, value]) => value !== undefined && !isEmptyList(value));
  if (file !== undefined && (id !== undefined || given.length > 0)) {
    throw inputError([{ path: '-f', message: 'give the check either in a file or as <id> and flags, not both' }]);
  }
  if (file === undefined && id === undefined) {
    throw inputError([{ path: '<id>', message: 'expected a check id (or -f check.yaml)' }]);
  }
  const body = file !== undefined ? await checkFromFile(file) : checkFromFlags(id ?? '', flags);
  const label = (path: string) =>
    path === 'id' ? `check ${String(body.id)}` : file !== undefined ? inFile(file, path) : flagFor(path);
  const created = await cli
    .api()
    .post<CheckView>('/api/v1/checks', body)
    .catch((err: unknown) => {
      throw relabelIssues(err, label);
    });
  if (json) cli.json(created);
  else cli.out(`Check ${created.id} added (owner ${created.owner}); probes start within a scheduler tick.`);
}

function isEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

async function remove(cli: CliContext, id: string) {
  await cli.api().delete(checkPath(id));
  cli.out(`Check ${id} removed.`);
}

async function setPaused(cli: CliContext, id: string, action: 'pause' | 'resume') {
  const check = await cli.api().post<CheckView>(`${checkPath(id)}/${action}`);
  cli.out(action === 'pause' ? `Check ${check.id} paused: no probes, no alerts.` : `Check ${check.id} resumed.`);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `vigil checks …`: list, show, add, remove, pause and resume checks through the API. */
export function registerChecks(program: Command, cli: CliContext): void {
  const checks = program
    .command('checks')
    .description('list, show, add, remove, pause and resume checks (through the API: VIGIL_URL, VIGIL_TOKEN)');
  checks
    .command('ls')
    .description('checks this token can see, with their decided state')
    .option('--component <id>', 'only checks of this component')
    .option('--tag <tag>', 'only checks with this tag')
    .addOption(new Option('--state <state>', 'only checks in this state').choices(CHECK_LIST_STATES))
    .option('--json', 'machine-readable output')
    .action((opts: { component?: string; tag?: string; state?: string; json?: boolean }) => list(cli, opts));
  checks
    .command('show <id>')
    .description('one check: its settings, uptime over 24h/7d/30d/90d and latest results')
    .option('--json', 'machine-readable output')
    .action((id: string, opts: { json?: boolean }) => show(cli, id, opts));
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
    .action((id: string | undefined, opts: CheckFlags & { file?: string; json?: boolean }) => add(cli, id, opts));
  checks
    .command('rm <id>')
    .description('remove a check: its probes stop within a scheduler tick')
    .action((id: string) => remove(cli, id));
  checks
    .command('pause <id>')
    .description('stop probing a check (no alerts while paused)')
    .action((id: string) => setPaused(cli, id, 'pause'));
  checks
    .command('resume <id>')
    .description('probe a paused check again')
    .action((id: string) => setPaused(cli, id, 'resume'));
}
