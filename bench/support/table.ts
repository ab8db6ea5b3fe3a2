/** Plain aligned text tables: what a bench prints, readable in a terminal and pasteable in an issue. */

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  notes?: string[];
}

/** Left-aligns the first column and right-aligns the others (they hold numbers). */
export function renderTable(table: Table): string {
  const widths = table.columns.map((column, i) =>
    Math.max(column.length, ...table.rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  const body = [table.title, line(table.columns), rule, ...table.rows.map(line)];
  return [...body, ...(table.notes ?? []).map((note) => `  ${note}`)].join('\n');
}
