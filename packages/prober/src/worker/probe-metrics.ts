import { type ProbeResult, type ProberSettings, type ProbeTarget, processMetrics } from '@vigil/core';
import { Counter, Gauge, Histogram } from 'prom-client';

const DEFAULT_SETTINGS = { perCheck: true, maxChecks: 10_000 } as const;
const LATENESS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const PHASES = ['resolve', 'connect', 'tls', 'processing', 'transfer'] as const;
type Phase = (typeof PHASES)[number];
/** A check's series outlive its last probe by 3 intervals, and never less than this. */
const MIN_SERIES_TTL_MS = 10 * 60_000;
const SWEEP_EVERY_MS = 30_000;

type ProbeResultLabel = 'ok' | 'fail' | 'blocked';
type CheckLabels = { check: string; vantage: string };

/**
 * Created once per process, on the process registry: every prober (one per vantage under `vigil
 * up`, many in tests) writes the same metrics. Per-check names follow blackbox_exporter's, so its
 * dashboards and alerts work unchanged.
 */
function createMetrics() {
  const registers = [processMetrics()];
  const perCheck = (name: string, help: string) =>
    new Gauge<keyof CheckLabels>({ name, help, labelNames: ['check', 'vantage'], registers });
  return {
    success: perCheck('probe_success', 'Whether the last probe succeeded (1) or failed (0).'),
    duration: perCheck('probe_duration_seconds', 'How long the last probe took, in seconds.'),
    httpStatus: perCheck('probe_http_status_code', 'HTTP status of the last response; 0 when none came.'),
    certExpiry: perCheck('probe_ssl_earliest_cert_expiry', 'When the earliest leaf certificate seen expires (Unix s).'),
    httpPhases: new Gauge<keyof CheckLabels | 'phase'>({
      name: 'probe_http_duration_seconds',
      help: 'Duration of each phase of the last HTTP probe, in seconds.',
      labelNames: ['check', 'vantage', 'phase'],
      registers,
    }),
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

function removeSeries(labels: CheckLabels): void {
  const { success, duration, httpStatus, certExpiry, httpPhases } = metrics();
  for (const gauge of [success, duration, httpStatus, certExpiry]) gauge.remove(labels);
  for (const phase of PHASES) httpPhases.remove({ ...labels, phase });
}

/**
 * blackbox_exporter's phases from Vigil's timings (ms, of the last hop). Transfer is what the total
 * leaves over: reading the body, judging it, and any earlier redirect hops.
 */
export function httpPhaseSeconds(timings: ProbeResult['timings']): Record<Phase, number> {
  const { dns = 0, connect = 0, tls = 0, firstByte = 0, total } = timings;
  const transfer = Math.max(0, total - dns - connect - tls - firstByte);
  return {
    resolve: dns / 1000,
    connect: connect / 1000,
    tls: tls / 1000,
    processing: firstByte / 1000,
    transfer: transfer / 1000,
  };
}

/** The earliest expiry among the certificates the probe saw (every address's, with `allAddresses`). */
function earliestCertExpiry(result: ProbeResult): number | undefined {
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

  /** Counts the result, and sets the check's series unless per-check metrics are off or full. */
  record(result: ProbeResult, check: Pick<ProbeTarget, 'kind' | 'intervalMs'>, now: number): void {
    metrics().probes.inc({ vantage: this.vantage, result: resultLabel(result) });
    if (!this.settings.perCheck) return;
    const labels = { check: result.checkId, vantage: this.vantage };
    const staleAt = now + Math.max(3 * check.intervalMs, MIN_SERIES_TTL_MS);
    if (!checkSeries.admit(labels, staleAt, this.settings.maxChecks)) {
      metrics().seriesDropped.inc();
      return;
    }
    this.setSeries(labels, result, check.kind);
  }

  /** Lets the series of checks no longer probed (deleted, paused, moved) go. */
  sweep(now: number): void {
    checkSeries.sweep(now, removeSeries);
  }

  private setSeries(labels: CheckLabels, result: ProbeResult, kind: ProbeTarget['kind']): void {
    const { success, duration, httpStatus, certExpiry, httpPhases } = metrics();
    success.set(labels, result.ok ? 1 : 0);
    duration.set(labels, result.timings.total / 1000);
    if (kind === 'http') {
      httpStatus.set(labels, result.status ?? 0);
      for (const [phase, seconds] of Object.entries(httpPhaseSeconds(result.timings)))
        httpPhases.set({ ...labels, phase }, seconds);
    }
    const expiry = earliestCertExpiry(result);
    if (expiry === undefined) certExpiry.remove(labels);
    else certExpiry.set(labels, Math.floor(expiry / 1000));
  }
}
