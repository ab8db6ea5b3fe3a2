import { buildStatus, type StatusReport, systemClock } from '@vigil/core';
import type { Runtime } from '../runtime.js';
import { formatAge, renderTable } from '../table.js';

const GREEN = (text: string) => `\u001b[32m${text}\u001b[39m`;
const RED = (text: string) => `\u001b[31m${text}\u001b[39m`;
const DIM = (text: string) => `\u001b[2m${text}\u001b[22m`;

export function renderStatus(report: StatusReport, useColour: boolean): string {
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
    if (!useColour || column !== 3) return cell;
    const state = states[row];
    return state === 'ok' ? GREEN(cell) : state === 'fail' ? RED(cell) : DIM(cell);
  });
  const vantages = report.vantages.map((v) => `${v.id} (seen ${formatAge(v.lastSeenAgoMs ?? 0)} ago)`).join(', ');
  return vantages ? `${table}\n\nVantages: ${vantages}` : table;
}

export async function statusCommand(runtime: Runtime, options: { json: boolean }): Promise<number> {
  const report = await buildStatus({ redis: runtime.redis, keys: runtime.keys, clock: systemClock });
  if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${renderStatus(report, Boolean(process.stdout.isTTY) && !process.env.NO_COLOR)}\n`);
  return 0;
}
