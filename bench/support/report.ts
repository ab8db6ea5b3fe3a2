/** What a bench hands back to `run.ts`: tables to print and data to save. */
import type { Table } from './table.js';

export interface BenchReport {
  name: string;
  tables: Table[];
  /** Everything measured, saved as JSON beside the printed tables. */
  data: Record<string, unknown>;
}

/** Writes a progress line to stderr, so stdout stays the tables alone. */
export function progress(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
