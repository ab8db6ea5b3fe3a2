import {
  type ProbedCheckKind,
  type ProbeResult,
  type ProberSettings,
  type ProbeTarget,
  processMetrics,
} from '@vigil/core';
import { Counter, Histogram } from 'prom-client';
import { CheckGauge } from '../kinds/check-gauge.js';
import type { CheckLabels } from '../kinds/prober-kind.js';
import { createKindSeries } from '../kinds/registry.js';

const DEFAULT_SETTINGS = { perCheck: true, maxChecks: 10_000 } as const;
const LATENESS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** A check's series outlive its last probe by 3 intervals, and never less than this. */
const MIN_SERIES_TTL_MS = 10 * 60_000;
const SWEEP_EVERY_MS = 30_000;

type ProbeResultLabel = 'ok' | 'fail' | 'blocked';

/**
 * Created once per process, on the process registry: every prober (one per vantage under `vigil
 * up`, many in tests) writes the same metrics. Per-check names follow blackbox_exporter's, so its
 * dashboards and alerts work unchanged.
 */
function createMetrics() {
  const registers = [processMetrics()];
  const perCheck = (name: string, help: string) => new CheckGauge({ name, help, registers });
  return {
    success: perCheck('probe_success', 'Whether the last probe succeeded (1) or failed (0).'),
    duration: perCheck('probe_duration_seconds', 'How long the last probe took, in seconds.'),
    certExpiry: perCheck('probe_ssl_earliest_cert_expiry', 'When the earliest leaf certificate seen expires (Unix s).'),
    /** Each kind's own series (HTTP status and phases, DNS answers…), from the prober's kind registry. */
    byKind: createKindSeries(registers),
    probes: new Counter<'vantage' | 'result'>({
      name: 'vigil_probes_total',
      help: 'Probes run, by result (blocked: the target guard refused the address).',
      labelNames: ['vantage', 'result'],
      registers,
    }),
    dropped: new Counter<'vantage' | 'reason'>({
      name: 'vigil_probes_dropped_total',
      help: 'Probe jobs dropped without probing (expired: the round was an interval old).',
      labelNames: ['vantage', 'reason'],
      registers,
    }),
    lateness: new Histogram<'vantage'>({
      name: 'vigil_probe_start_lateness_seconds',
      help: "How long after its round's scheduled time a probe started.",
      labelNames: ['vantage'],
      buckets: LATENESS_BUCKETS,
      registers,
    }),
    seriesDropped: new Counter({
      name: 'vigil_metrics_series_dropped_total',
      help: 'Probe results left out of the per-check series because prober.metrics.maxChecks was reached.',
      registers,
    }),
  };
}
type ProbeMetricSet = ReturnType<typeof createMetrics>;

let metricSet: ProbeMetricSet | undefined;
function metrics(): ProbeMetricSet {
  metricSet ??= createMetrics();
  return metricSet;
}

/**
 * Which checks have per-check series in this process, and when each (check, vantage) goes stale.
 * The cap on checks bounds the label cardinality; the sweep lets a deleted check's series go.
 */
class CheckSeries {
  private readonly checks = new Map<string, Map<string, number>>();
  private lastSweep = 0;

  /** Keeps the series fresh until `staleAt`; false when the check is new and the cap is reached. */
  admit(labels: CheckLabels, staleAt: number, maxChecks: number): boolean {
    let vantages = this.checks.get(labels.check);
    if (!vantages) {
      if (this.checks.size >= maxChecks) return false;
      vantages = new Map();
      this.checks.set(labels.check, vantages);
    }
    vantages.set(labels.vantage, staleAt);
    return true;
  }

  /** Removes the series of every (check, vantage) not probed since it went stale; at most every 30 s. */
  sweep(now: number, remove: (labels: CheckLabels) => void): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const [check, vantages] of this.checks) {
      for (const [vantage, staleAt] of vantages) {
        if (staleAt > now) continue;
        vantages.delete(vantage);
        remove({ check, vantage });
      }
      if (vantages.size === 0) this.checks.delete(check);
    }
  }
}
const checkSeries = new CheckSeries();

/**
 * Written per probe: a `CheckGauge` series is a number in a map (prom-client's `Gauge` hashed the labels
 * at ~14 µs a probe, so results once waited for the scrape in a map of their own, ~630 B each).
 */
function setSeries(labels: CheckLabels, result: ProbeResult, kind: ProbeTarget['kind']): void {
  const { success, duration, certExpiry, byKind } = metrics();
  success.set(labels, result.ok ? 1 : 0);
  duration.set(labels, result.timings.total / 1000);
  // Only probed kinds reach a prober (the scheduler gives the others no slots).
  byKind[kind as ProbedCheckKind].set(labels, result);
  const expiry = earliestCertExpiry(result);
  if (expiry === undefined) certExpiry.remove(labels);
  else certExpiry.set(labels, Math.floor(expiry / 1000));
}

function removeSeries(labels: CheckLabels): void {
  const { success, duration, certExpiry, byKind } = metrics();
  for (const gauge of [success, duration, certExpiry]) gauge.remove(labels);
  for (const series of Object.values(byKind)) series.remove(labels);
}

/** The earliest expiry among the certificates the probe saw (every address's, with `allAddresses`). */
function earliestCertExpiry(result: ProbeResult): number | undefined {
  if (!result.addresses) return result.certExpiresAt;
  const seen = [result.certExpiresAt, ...(result.addresses ?? []).map((a) => a.certExpiresAt)];
  const expiries = seen.filter((at): at is number => at !== undefined);
  return expiries.length > 0 ? Math.min(...expiries) : undefined;
}

function resultLabel(result: ProbeResult): ProbeResultLabel {
  if (result.ok) return 'ok';
  return result.error === 'blocked_target' ? 'blocked' : 'fail';
}

/** One prober's view of the process metrics: its vantage and its `prober.metrics` settings. */
export class ProbeMetrics {
  private readonly settings: NonNullable<ProberSettings['metrics']>;

  constructor(
    private readonly vantage: string,
    settings: ProberSettings['metrics'],
  ) {
    this.settings = settings ?? DEFAULT_SETTINGS;
    // Registered now, so a scrape shows the metric families before the first probe.
    metrics();
  }

  /** A probe is starting now for the round scheduled at `round` (both epoch ms). */
  started(round: number, now: number): void {
    metrics().lateness.observe({ vantage: this.vantage }, Math.max(0, now - round) / 1000);
  }

  expired(): void {
    metrics().dropped.inc({ vantage: this.vantage, reason: 'expired' });
  }

  /** Counts the result, and keeps it for the check's series unless per-check metrics are off or full. */
  record(result: ProbeResult, check: Pick<ProbeTarget, 'kind' | 'intervalMs'>, now: number): void {
    metrics().probes.inc({ vantage: this.vantage, result: resultLabel(result) });
    if (!this.settings.perCheck) return;
    const labels = { check: result.checkId, vantage: this.vantage };
    const staleAt = now + Math.max(3 * check.intervalMs, MIN_SERIES_TTL_MS);
    if (!checkSeries.admit(labels, staleAt, this.settings.maxChecks)) {
      metrics().seriesDropped.inc();
      return;
    }
    setSeries(labels, result, check.kind);
  }

  /** Lets the series of checks no longer probed (deleted, paused, moved) go. */
  sweep(now: number): void {
    checkSeries.sweep(now, removeSeries);
  }
}
