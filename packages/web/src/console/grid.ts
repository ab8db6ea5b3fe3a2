import { type ApiToken, isUnderMaintenance, type ProbeResult } from '@vigil/core';
import type { z } from 'zod';
import { incidentFilter } from '../api/ownership.js';
import { listChecks, type listQuery } from '../api/routes/checks.js';
import { vantageHealth } from '../api/routes/fleet.js';
import type { WebContext } from '../context.js';
import type { GridRow, GridView } from './view/overview.js';

/** A vantage's latest result older than this many of the check's intervals no longer says anything: unknown. */
const STALE_INTERVALS = 3;
/** Open incidents listed above the grid. */
const INCIDENTS_SHOWN = 20;

type CheckQuery = z.output<typeof listQuery>;
type Listed = Awaited<ReturnType<typeof listChecks>>['items'][number];

function cellState(check: Listed, state: string, result: ProbeResult | undefined, now: number): string {
  if (state === 'paused' || state === 'maintenance') return state;
  if (!result || now - result.finishedAt > STALE_INTERVALS * Math.max(check.intervalMs, 1_000)) return 'unknown';
  // The status page's rule: a result that passed but was slower than the check's maxMs is degraded.
  if (!result.ok) return 'down';
  return result.slow ? 'degraded' : 'up';
}

function cellDetail(result: ProbeResult | undefined): string {
  if (!result) return 'no result';
  if (!result.ok) return result.message ?? result.error ?? 'failed';
  return result.slow ? 'ok but slower than its maxMs' : 'ok';
}

function rowOf(
  check: Listed,
  options: { vantages: string[]; latest: Record<string, ProbeResult>; maintenance: boolean; now: number },
): GridRow {
  const state = check.state === 'paused' ? 'paused' : options.maintenance ? 'maintenance' : check.state;
  return {
    id: check.id,
    name: check.name,
    ...(check.component !== undefined && { component: check.component }),
    state,
    cells: options.vantages.map((vantage) => {
      if (check.vantages.length > 0 && !check.vantages.includes(vantage)) {
        return { vantage, state: 'n/a', detail: 'not probed from here' };
      }
      const result = options.latest[vantage];
      // No latency here: a number that moves every round would make every poll a new grid, never a 304.
      return { vantage, state: cellState(check, state, result, options.now), detail: cellDetail(result) };
    }),
  };
}

/**
 * One page of the overview for a token: the API's check listing (same ownership, filters and
 * paging), each check's latest result per vantage, the fleet's health and the open incidents it sees.
 */
export async function readGrid(
  ctx: WebContext,
  token: ApiToken,
  query: CheckQuery,
  filters: string,
): Promise<GridView> {
  const [page, fleet, maintenances, open, visible] = await Promise.all([
    listChecks(ctx, token, query),
    vantageHealth(ctx),
    ctx.maintenanceSource.current(),
    ctx.incidents.listOpen(),
    incidentFilter(ctx, token),
  ]);
  const latest = await ctx.results.latestMany(page.items.map((check) => check.id));
  const now = ctx.clock.now();
  const vantages = ctx.config.vantages.map((vantage) => vantage.id);
  return {
    rows: page.items.map((check) =>
      rowOf(check, {
        vantages,
        latest: latest.get(check.id) ?? {},
        maintenance: isUnderMaintenance(maintenances, check, now) !== undefined,
        now,
      }),
    ),
    vantages,
    total: page.total,
    fleet: fleet.map((vantage) => ({ id: vantage.id, health: vantage.health })),
    incidents: open
      .filter(visible)
      .slice(0, INCIDENTS_SHOWN)
      .map((incident) => ({
        id: incident.id,
        title: incident.title,
        status: incident.status,
        acknowledged: incident.acknowledgedAt !== undefined,
      })),
    query: filters,
    ...(query.cursor !== undefined && { cursor: query.cursor }),
    nextCursor: page.nextCursor,
  };
}
