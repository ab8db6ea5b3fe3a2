import { type OnCallRow, onCallReport, VigilError } from '@vigil/core';
import type { CliContext } from '../cli-context.js';
import { renderTable } from '../output/table.js';
import { resolveConfig } from '../runtime/runtime.js';

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(':00.000Z', 'Z');
}

/** Parses `--at`: an ISO date-time, or undefined for now. */
export function parseAt(at: string | undefined, now: number): number {
  if (at === undefined) return now;
  const ms = Date.parse(at);
  if (Number.isNaN(ms))
    throw new VigilError(
      'VALIDATION',
      `--at: expected an ISO date-time such as 2026-11-25T09:00:00Z, got ${JSON.stringify(at)}`,
    );
  return ms;
}

export function renderOnCall(rows: OnCallRow[]): string {
  if (rows.length === 0) return 'No schedules in the config.';
  return renderTable(
    ['SCHEDULE', 'ON CALL', 'UNTIL', 'NEXT'],
    rows.map((row) => [
      row.schedule,
      row.person ? `${row.person.name} (${row.person.id})` : 'nobody',
      row.until ? iso(row.until) : '-',
      row.next ? `${row.next.personId ?? 'nobody'} at ${iso(row.next.at)}` : '-',
    ]),
  );
}

/** `vigil oncall`: the API's view with a token (and no -c), else the local config's. */
export async function oncall(cli: CliContext, opts: { config?: string; at?: string; json?: boolean }): Promise<void> {
  const at = parseAt(opts.at, Date.now());
  let rows: OnCallRow[];
  if (cli.hasToken && opts.config === undefined) {
    rows = (await cli.api().get<{ items: OnCallRow[] }>('/api/v1/oncall', { at: new Date(at).toISOString() })).items;
  } else {
    const { config } = await resolveConfig({
      ...(opts.config !== undefined && { explicitPath: opts.config }),
      env: cli.env,
      processEnv: cli.processEnv,
      fallback: 'error',
    });
    rows = onCallReport(config, at);
  }
  cli.out(opts.json ? JSON.stringify(rows) : renderOnCall(rows));
}
