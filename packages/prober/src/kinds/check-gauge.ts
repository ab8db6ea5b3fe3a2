import { escapeHelpText, escapeLabelValue, formatSampleValue, type StreamedFamily } from '@vigil/core';
import type { Metric, MetricValue, Registry } from 'prom-client';
import type { CheckLabels } from './prober-kind.js';

/** A series label beyond check and vantage, with the few values it takes (`phase`: resolve, connect, …). */
export interface ExtraLabel<Value extends string> {
  name: string;
  values: readonly Value[];
}

export interface CheckGaugeOptions<Value extends string> {
  name: string;
  help: string;
  registers: Registry[];
  extra?: ExtraLabel<Value>;
}

/**
 * Every value's `sharedLabels`: prom-client's registry caches the text of a value's shared labels in a
 * WeakMap keyed by that object, and defaults it to a new `{}` per value: 80,000 entries a scrape.
 */
const NO_SHARED_LABELS = Object.freeze({});

type ScrapedValue = MetricValue<string> & { sharedLabels: object };

/** A check's value, or its values by the extra label's index (undefined: no series for that one). */
type Row = number | (number | undefined)[];

/** A scrape's text is handed on in pieces of about this many characters (a few hundred series). */
const PIECE_CHARS = 32 * 1024;

/**
 * A gauge of per-check series (labels check and vantage, and at most one label of a few known
 * values), kept as one number (or one small array) per check and vantage. prom-client's `Gauge`
 * keeps a label hash string and an entry object per series and gauge: ~3 KB per HTTP check, ~30 MB
 * of a prober's old generation at 10,000 checks (which V8 then grows by another third). Label
 * objects are made only when scraped by `get()`; a scrape through core's RoleServer formats the text
 * straight from the rows, in pieces. Registered on the registries like prom-client's own metrics.
 */
export class CheckGauge<Value extends string = never> implements StreamedFamily {
  readonly name: string;
  readonly help: string;
  readonly type = 'gauge';
  readonly aggregator = 'sum';
  private readonly extra: ExtraLabel<Value> | undefined;
  /** vantage → check → row. */
  private readonly rows = new Map<string, Map<string, Row>>();

  constructor(options: CheckGaugeOptions<Value>) {
    this.name = options.name;
    this.help = options.help;
    this.extra = options.extra;
    // prom-client's registry reads only what a metric shares with this class (name, type, get, reset).
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** Sets the check's series (of the extra label's `value`, when the gauge has one). */
  set(labels: CheckLabels, value: number, extraValue?: Value): void {
    let checks = this.rows.get(labels.vantage);
    if (!checks) {
      checks = new Map();
      this.rows.set(labels.vantage, checks);
    }
    const index = this.indexOf(extraValue);
    if (index === undefined) {
      checks.set(labels.check, value);
      return;
    }
    let row = checks.get(labels.check);
    if (!Array.isArray(row)) {
      row = new Array<number | undefined>(this.extra?.values.length ?? 0).fill(undefined);
      checks.set(labels.check, row);
    }
    row[index] = value;
  }

  /** Removes the check's series: all of them, or only that of the extra label's `value`. */
  remove(labels: CheckLabels, extraValue?: Value): void {
    const checks = this.rows.get(labels.vantage);
    const row = checks?.get(labels.check);
    if (!checks || row === undefined) return;
    const index = this.indexOf(extraValue);
    if (index !== undefined && Array.isArray(row)) row[index] = undefined;
    if (index === undefined || (Array.isArray(row) && row.every((value) => value === undefined))) {
      checks.delete(labels.check);
      if (checks.size === 0) this.rows.delete(labels.vantage);
    }
  }

  reset(): void {
    this.rows.clear();
  }

  /** What prom-client's registry formats; the label objects live only as long as the scrape. */
  async get(): Promise<{ name: string; help: string; type: 'gauge'; values: ScrapedValue[]; aggregator: 'sum' }> {
    const values: ScrapedValue[] = [];
    for (const [vantage, checks] of this.rows) {
      for (const [check, row] of checks) {
        if (!Array.isArray(row)) {
          values.push({ labels: { check, vantage }, value: row, sharedLabels: NO_SHARED_LABELS });
          continue;
        }
        row.forEach((value, i) => {
          if (value === undefined || !this.extra) return;
          const labels = { check, vantage, [this.extra.name]: this.extra.values[i] };
          values.push({ labels, value, sharedLabels: NO_SHARED_LABELS });
        });
      }
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /**
   * The family's exposition text, as prom-client formats `get()`'s values, in pieces of a few hundred
   * series, made as they are read. The checks are those of the scrape's start: a check removed
   * meanwhile is left out, none is written twice.
   */
  *expositionPieces(): Generator<string> {
    const name = escapeHelpText(this.name);
    let piece = `# HELP ${name} ${escapeHelpText(this.help)}\n# TYPE ${name} ${this.type}`;
    const extra = this.extra && {
      name: this.extra.name,
      values: this.extra.values.map((value) => `="${escapeLabelValue(value)}"} `),
    };
    for (const vantage of [...this.rows.keys()]) {
      const checks = this.rows.get(vantage);
      const vantageLabel = `",vantage="${escapeLabelValue(vantage)}"`;
      for (const check of checks ? [...checks.keys()] : []) {
        const row = checks?.get(check);
        if (row === undefined) continue;
        const series = `\n${name}{check="${escapeLabelValue(check)}${vantageLabel}`;
        if (!Array.isArray(row)) piece += `${series}} ${formatSampleValue(row)}`;
        else if (extra) {
          for (const [i, value] of row.entries())
            if (value !== undefined) piece += `${series},${extra.name}${extra.values[i]}${formatSampleValue(value)}`;
        }
        if (piece.length < PIECE_CHARS) continue;
        yield piece;
        piece = '';
      }
    }
    yield piece;
  }

  private indexOf(extraValue: Value | undefined): number | undefined {
    if (extraValue === undefined || !this.extra) return undefined;
    const index = this.extra.values.indexOf(extraValue);
    if (index < 0) throw new RangeError(`${this.name}: ${this.extra.name}="${extraValue}" is not one of its values`);
    return index;
  }
}
