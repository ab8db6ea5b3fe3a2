import type { ProbeResult, UptimeReport } from '@vigil/core';
import type { CheckView } from '@vigil/web';
import { type CheckFlags, checkFromFile, checkFromFlags, flagFor, inFile } from '../check-input.js';
import type { CliContext } from '../cli-context.js';
import { type PingsView, renderCheck, renderCheckList } from '../output/check-render.js';
import { inputError, relabelIssues } from '../output/field-errors.js';

/** Results `checks show` lists. */
const SHOWN_RESULTS = 10;

const checkPath = (id: string) => `/api/v1/checks/${encodeURIComponent(id)}`;

/** `vigil checks ls`: the checks the token can see, filtered. */
export async function list(
  cli: CliContext,
  opts: { component?: string; tag?: string; state?: string; json?: boolean },
) {
  const checks = await cli
    .api()
    .all<CheckView>('/api/v1/checks', { component: opts.component, tag: opts.tag, state: opts.state });
  if (opts.json) cli.json(checks);
  else cli.out(renderCheckList(checks, cli.colours));
}

/** `vigil checks show <id>`: the check, its latest results and its uptime. */
export async function show(cli: CliContext, id: string, opts: { json?: boolean }) {
  const api = cli.api();
  const check = await api.get<CheckView>(checkPath(id));
  const [results, latest, uptime, pings] = await Promise.all([
    api.get<{ items: ProbeResult[] }>(`${checkPath(id)}/results`, { limit: SHOWN_RESULTS }),
    api.get<{ items: ProbeResult[] }>(`${checkPath(id)}/results`, { latest: 'true' }),
    api.get<UptimeReport>(`${checkPath(id)}/uptime`),
    check.pushed ? api.get<PingsView>(`${checkPath(id)}/pings`) : undefined,
  ]);
  const view = { check, results: results.items, latest: latest.items, uptime, ...(pings && { pings }) };
  if (opts.json) cli.json(view);
  else cli.out(renderCheck(view, Date.now(), cli.colours));
}

/** `vigil checks add`: one check from a file or from flags; errors name the file's field or the flag. */
export async function add(
  cli: CliContext,
  id: string | undefined,
  opts: CheckFlags & { file?: string; json?: boolean },
) {
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

/** `vigil checks token <id>`: a heartbeat check's new ping token and URL, printed once. */
export async function token(cli: CliContext, id: string, opts: { json?: boolean }) {
  const made = await cli.api().post<{ check: string; token: string; pingUrl: string }>(`${checkPath(id)}/token`);
  if (opts.json) return cli.json(made);
  cli.out(
    [
      `New ping token for ${made.check} (shown this once; the previous one no longer works):`,
      `  ${made.token}`,
      'Have the job ping when it is done (append /start when it starts, /fail or /<exit code> when it fails):',
      `  curl -fsS -m 10 --retry 3 ${made.pingUrl}`,
    ].join('\n'),
  );
}

/** `vigil checks rm <id>`. */
export async function remove(cli: CliContext, id: string) {
  await cli.api().delete(checkPath(id));
  cli.out(`Check ${id} removed.`);
}

/** `vigil checks pause|resume <id>`. */
export async function setPaused(cli: CliContext, id: string, action: 'pause' | 'resume') {
  const check = await cli.api().post<CheckView>(`${checkPath(id)}/${action}`);
  cli.out(action === 'pause' ? `Check ${check.id} paused: no probes, no alerts.` : `Check ${check.id} resumed.`);
}
