import { buildStatus, CheckRegistry, ResultStore, type StatusReport } from '@vigil/core';
import type { CliContext } from '../cli-context.js';
import { describeAddresses } from '../output/address-render.js';
import type { Palette } from '../output/colour.js';
import { formatAge, renderTable } from '../output/table.js';

export function renderStatus(report: StatusReport, colours: Palette, now = Date.now()): string {
  if (report.checks.length === 0) return 'No checks registered. Add some to vigil.yaml and run `vigil up`.';
  const rows: string[][] = [];
  const states: ('ok' | 'fail' | 'none')[] = [];
  for (const check of report.checks) {
    const entries = Object.entries(check.results);
    if (entries.length === 0) {
      rows.push([check.id, check.state, '-', check.paused ? 'paused' : 'no result yet', '-', '-']);
      states.push('none');
    }
    entries.forEach(([vantage, result], i) => {
      const outcome = result.ok ? 'ok' : `${result.error ?? 'failed'}${result.message ? `: ${result.message}` : ''}`;
      rows.push([
        i === 0 ? check.id : '',
        i === 0 ? check.state : '',
        vantage,
        outcome.slice(0, 80),
        `${result.totalMs}ms`,
        formatAge(result.ageMs),
      ]);
      states.push(result.ok ? 'ok' : 'fail');
    });
  }
  const table = renderTable(['CHECK', 'STATE', 'VANTAGE', 'RESULT', 'LATENCY', 'AGE'], rows, (cell, column, row) => {
    if (column !== 3) return cell;
    const state = states[row];
    return state === 'ok' ? colours.green(cell) : state === 'fail' ? colours.red(cell) : colours.dim(cell);
  });
  const vantages = report.vantages.map((v) => `${v.id} (seen ${formatAge(v.lastSeenAgoMs ?? 0)} ago)`).join(', ');
  const addresses = report.checks
    .filter((check) => check.addresses && check.addresses.length > 0)
    .map((check) => `  ${check.id}: ${describeAddresses(check.addresses ?? [], now, colours)}`);
  const withAddresses = addresses.length > 0 ? `${table}\n\nAddresses:\n${addresses.join('\n')}` : table;
  return vantages ? `${withAddresses}\n\nVantages: ${vantages}` : withAddresses;
}

/**
 * `vigil status`: through the API when VIGIL_TOKEN is set (what the token may see), else straight
 * from Redis, so `vigil up` then `vigil status` works on a laptop without a token.
 */
export async function status(cli: CliContext, opts: { json?: boolean }): Promise<void> {
  const print = (report: StatusReport) =>
    cli.out(opts.json ? JSON.stringify(report) : renderStatus(report, cli.colours));
  if (cli.hasToken) return print(await cli.api().get<StatusReport>('/api/v1/status'));
  await cli.withRuntime(async (runtime) => {
    print(await buildStatus({ ...runtime, checks: new CheckRegistry(runtime), results: new ResultStore(runtime) }));
    return 0;
  });
}
