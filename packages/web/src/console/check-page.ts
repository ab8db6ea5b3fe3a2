import { type ApiToken, type Incident, type ProbeResult, readUptime, type UptimeReport } from '@vigil/core';
import type { CheckView } from '../api/check-view.js';
import { incidentFilter, visibleCheck } from '../api/ownership.js';
import { readCheckView } from '../api/routes/checks.js';
import type { WebContext } from '../context.js';

/** Recent incidents searched for the check's own (the store keeps no per-check index). */
const INCIDENTS_SEARCHED = 200;
/** History entries read for a chart: the store's own cap per check (`history.perCheck`) is at most this. */
const HISTORY_READ = 10_000;

export const CHART_RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
export type ChartRange = keyof typeof CHART_RANGES;

/** The phases a chart draws, in the order they happen; `total` is the whole probe. */
export const CHART_PHASES = ['dns', 'connect', 'tls', 'firstByte', 'total'] as const;
type Phase = (typeof CHART_PHASES)[number];

/** One vantage's latencies, as uPlot takes them: `t` in epoch seconds, one array per phase (null: not measured). */
export interface VantageSeries {
  vantage: string;
  t: number[];
  phases: Record<Phase, (number | null)[]>;
}

export interface LatencyChart {
  check: string;
  range: ChartRange;
  from: number;
  to: number;
  phases: readonly Phase[];
  vantages: VantageSeries[];
  /**
   * The oldest round the check's history still holds (it keeps `history.perCheck` results across
   * vantages): a range reaching further back is drawn from here. Null without history.
   */
  historyFrom: number | null;
}

export interface CheckPage {
  check: CheckView;
  latest: ProbeResult[];
  uptime: UptimeReport;
  incidents: Incident[];
}

/** Everything the check page shows, read with the API's functions and ownership rules (another tenant's check is a 404). */
export async function readCheckPage(ctx: WebContext, token: ApiToken, id: string): Promise<CheckPage> {
  const check = await visibleCheck(ctx, token, id);
  const [view, latest, uptime, recent, visible] = await Promise.all([
    readCheckView(ctx, check),
    ctx.results.latest(id),
    readUptime(ctx, id, ctx.clock.now()),
    ctx.incidents.list({ limit: INCIDENTS_SEARCHED }),
    incidentFilter(ctx, token),
  ]);
  return {
    check: view,
    latest: Object.values(latest).sort((a, b) => a.vantage.localeCompare(b.vantage)),
    uptime,
    incidents: recent.filter((incident) => visible(incident) && incident.members.some((m) => m.checkId === id)),
  };
}

/**
 * Each vantage's latencies over a range, oldest first, from the results history the API serves.
 * History keeps each result's total; phases show where a result kept them (the latest one always does).
 */
export async function readLatencyChart(
  ctx: WebContext,
  token: ApiToken,
  id: string,
  range: ChartRange,
): Promise<LatencyChart> {
  await visibleCheck(ctx, token, id);
  const to = ctx.clock.now();
  const from = to - CHART_RANGES[range];
  const [history, latest] = await Promise.all([
    ctx.results.history(id, { limit: HISTORY_READ }),
    ctx.results.latest(id),
  ]);
  const byVantage = new Map<string, Map<number, ProbeResult>>();
  for (const result of [...history, ...Object.values(latest)]) {
    if (result.round < from) continue;
    const rounds = byVantage.get(result.vantage) ?? new Map<number, ProbeResult>();
    // The latest result carries every phase; it replaces history's entry of the same round.
    rounds.set(result.round, result);
    byVantage.set(result.vantage, rounds);
  }
  const vantages = [...byVantage.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([vantage, rounds]) =>
      seriesOf(
        vantage,
        [...rounds.values()].sort((a, b) => a.round - b.round),
      ),
    );
  const historyFrom = history.at(-1)?.round ?? null;
  return { check: id, range, from, to, phases: CHART_PHASES, vantages, historyFrom };
}

function seriesOf(vantage: string, results: ProbeResult[]): VantageSeries {
  const phases = Object.fromEntries(
    CHART_PHASES.map((phase) => [phase, results.map((result) => result.timings[phase] ?? null)]),
  ) as Record<Phase, (number | null)[]>;
  return { vantage, t: results.map((result) => result.round / 1000), phases };
}
