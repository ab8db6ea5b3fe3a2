import { type OnCallRow, VigilError } from '@vigil/core';
import { renderTable } from '../table.js';

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
