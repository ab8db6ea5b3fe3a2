import {
  type ApiToken,
  LATENCY_TIERS,
  type LatencyBucket,
  type LatencyTier,
  type ProbeResult,
  readLatencyRollup,
} from '@vigil/core';
import { z } from 'zod';
import type { WebContext } from '../context.js';
import { visibleCheck } from './ownership.js';

/** History entries read for a chart: the store's own cap per check (`history.perCheck`) is at most this. */
const HISTORY_READ = 10_000;

export const CHART_RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
export type ChartRange = keyof typeof CHART_RANGES;
/** The rollup tier each range's phases come from: 1 h takes the newest hour buckets. */
const RANGE_TIER: Record<ChartRange, LatencyTier> = { '1h': 'day', '24h': 'day', '7d': 'week' };

/** `?range=`: the API's and the console's. */
export const latencyQuery = z.strictObject({
  range: z.enum(Object.keys(CHART_RANGES) as [ChartRange, ...ChartRange[]]).default('1h'),
});

/** The phases a chart draws, in the order they happen; `total` is the whole probe. */
export const CHART_PHASES = ['dns', 'connect', 'tls', 'firstByte', 'total'] as const;
type Phase = (typeof CHART_PHASES)[number];

/**
 * One vantage's latencies, as uPlot takes them: `t` in epoch seconds, one array per phase (null: not
 * measured there). A point is a result (its round) or a bucket's means (its middle), whose
 * `samples` and `failures` say how many results it sums (null at a result's point).
 */
export interface VantageSeries {
  vantage: string;
  t: number[];
  phases: Record<Phase, (number | null)[]>;
  samples: (number | null)[];
  failures: (number | null)[];
}

export interface LatencyChart {
  check: string;
  range: ChartRange;
  from: number;
  to: number;
  phases: readonly Phase[];
  /** The buckets' length, ms: 1 h and 24 h draw hour means, 7 d six-hour ones. */
  bucketMs: number;
  vantages: VantageSeries[];
  /**
   * 1 h only: the oldest round the check's history still holds (it keeps `history.perCheck` results
   * across vantages, ~38 min at 30 s from 3 vantages): the hour before it is drawn from the hour
   * buckets' means, totals too. Null otherwise.
   */
  historyFrom: number | null;
}

interface Point {
  t: number;
  phases: Partial<Record<Phase, number | null>>;
  samples: number | null;
  failures: number | null;
}

/**
 * Each vantage's latencies over a range, oldest first, for a check the token may see (another
 * tenant's is the 404 of a missing one). 1 h: every result's total from history (the latest
 * result's phases too) and each phase's means from the newest hour buckets, the part of the hour
 * before history's oldest entry as its buckets' means, totals too; 24 h and 7 d: the rollups' bucket
 * means of every phase, with their sample and failure counts.
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
  const tier = RANGE_TIER[range];
  const { bucketMs } = LATENCY_TIERS[tier];
  const points = new Map<string, Map<number, Point>>();
  const at = (vantage: string, t: number): Point => {
    const byTime = points.get(vantage) ?? new Map<number, Point>();
    points.set(vantage, byTime);
    const point = byTime.get(t) ?? { t, phases: {}, samples: null, failures: null };
    byTime.set(t, point);
    return point;
  };
  const [rollup, results] = await Promise.all([
    readLatencyRollup(ctx, id, { tier, from: from - bucketMs, to }),
    range === '1h' ? Promise.all([ctx.results.history(id, { limit: HISTORY_READ }), ctx.results.latest(id)]) : null,
  ]);
  const historyFrom = results === null ? null : (results[0].at(-1)?.round ?? null);
  // 1 h: the part of the range history no longer holds (all of it when it holds nothing).
  const before = results === null ? null : { from, to: Math.min(to, historyFrom ?? to) };
  for (const { vantage, buckets } of rollup.vantages) {
    for (const bucket of buckets) {
      if (bucket.start + bucketMs <= from) continue;
      const start = Math.max(from, bucket.start);
      const end = Math.min(bucket.start + bucketMs, before?.to ?? to);
      if (before && start < end) {
        // Drawn at the middle of its part before history, totals too: the chart is not empty there.
        Object.assign(at(vantage, (start + end) / 2), bucketPoint(bucket, false));
        continue;
      }
      // A bucket is drawn at its middle, kept within the range (the newest one is under way).
      const middle = Math.min(to, Math.max(from, bucket.start + bucketMs / 2));
      Object.assign(at(vantage, middle), bucketPoint(bucket, range === '1h'));
    }
  }
  if (results !== null) {
    const [history, latest] = results;
    // The latest result carries every phase; it replaces history's entry of the same round.
    for (const result of [...history, ...Object.values(latest)]) {
      if (result.round >= from) at(result.vantage, result.round).phases = resultPhases(result);
    }
  }
  const vantages = [...points.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([vantage, byTime]) =>
      seriesOf(
        vantage,
        [...byTime.values()].sort((a, b) => a.t - b.t),
      ),
    );
  return { check: id, range, from, to, phases: CHART_PHASES, bucketMs, vantages, historyFrom };
}

/** A bucket's means as a point; for 1 h its phases only (the totals drawn are the results'). */
function bucketPoint(bucket: LatencyBucket, phasesOnly: boolean): Omit<Point, 't'> {
  const { total, ...phases } = bucket.means;
  return {
    phases: phasesOnly ? phases : { ...phases, total },
    samples: bucket.samples,
    failures: bucket.failures,
  };
}

function resultPhases(result: ProbeResult): Partial<Record<Phase, number | null>> {
  return Object.fromEntries(CHART_PHASES.map((phase) => [phase, result.timings[phase] ?? null]));
}

function seriesOf(vantage: string, points: Point[]): VantageSeries {
  const phases = Object.fromEntries(
    CHART_PHASES.map((phase) => [phase, points.map((point) => point.phases[phase] ?? null)]),
  ) as Record<Phase, (number | null)[]>;
  return {
    vantage,
    t: points.map((point) => point.t / 1000),
    phases,
    samples: points.map((point) => point.samples),
    failures: points.map((point) => point.failures),
  };
}
