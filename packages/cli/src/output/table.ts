/** Column-aligned text; `colour` wraps a cell after padding so escape codes do not skew widths. */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  colour: (cell: string, column: number, row: number) => string = (cell) => cell,
): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[], row: number) =>
    cells
      .map((cell, column) => {
        const padded = column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0);
        return row < 0 ? padded : colour(padded, column, row);
      })
      .join('  ')
      .trimEnd();
  return [line(header, -1), ...rows.map((row, i) => line(row, i))].join('\n');
}

/** `850ms`, `12s`, `4m`, `3h`: an age at a glance. */
export function formatAge(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  if (ms < 60_000) return `${Math.round(ms / 1_000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${Math.round(ms / 3_600_000)}h`;
}
