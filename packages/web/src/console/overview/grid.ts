import { type ApiToken, isUnderMaintenance, type ProbeResult } from '@vigil/core';
import type { z } from 'zod';
import { incidentFilter, tenant } from '../../api/ownership.js';
import { listChecks, type listQuery } from '../../api/routes/checks.js';
import { vantageHealth } from '../../api/routes/fleet.js';
import type { WebContext } from '../../context.js';
import type { FleetPulse, FleetPulseReader } from '../fleet/fleet-pulse.js';
import type { QueueLag } from '../fleet/queue-lag.js';
import type { GridRow, GridView, LagView } from '../view/overview.js';

/** A vantage's latest result older than this many of the check's intervals no longer says anything: unknown. */
const STALE_INTERVALS = 3;
/** Open incidents listed above the grid. */
const INCIDENTS_SHOWN = 20;
/** A queue whose oldest job waited less than this keeps up; only a lagging one shows its figures. */
export const LAG_MS = 10_000;
/** A lagging queue's oldest wait, shown in steps of this: the panel changes (a new ETag) every few seconds at most. */
const LAG_STEP_S = 5;

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

/** A queue as the panel shows it: keeping up, or behind with how many jobs and how long. */
function lagView(lag: QueueLag): LagView {
  if (lag.oldestAgeMs === null || lag.oldestAgeMs < LAG_MS) return { queue: lag.queue, behind: null };
  const oldestS = Math.floor(lag.oldestAgeMs / 1_000 / LAG_STEP_S) * LAG_STEP_S;
  return { queue: lag.queue, behind: { waiting: lag.waiting, oldestS } };
}

/** The blind spots a token may know of: every one for an admin, its own checks for a tenant. */
async function visibleBlind(ctx: WebContext, token: ApiToken, blind: FleetPulse['blind']): Promise<number> {
  const owner = tenant(token);
  if (owner === undefined || blind.checkIds.length === 0) return blind.checkIds.length;
  const owned = await ctx.redis.smismember(ctx.keys.checksOfOwner(owner), ...blind.checkIds);
  return owned.filter((member) => member === 1).length;
}

/**
 * One page of the overview for a token: the API's check listing (same ownership, filters and
 * paging), each check's latest result per vantage, the fleet's health and the open incidents it sees.
 */
export async function readGrid(
  ctx: WebContext,
  token: ApiToken,
  query: CheckQuery,
  options: { filters: string; pulse: FleetPulseReader },
): Promise<GridView> {
  const [page, fleet, pulse, maintenances, open, visible] = await Promise.all([
    listChecks(ctx, token, query),
    vantageHealth(ctx),
    options.pulse.read(),
    ctx.maintenanceSource.current(),
    ctx.incidents.listOpen(),
    incidentFilter(ctx, token),
  ]);
  const [latest, blind] = await Promise.all([
    ctx.results.latestMany(page.items.map((check) => check.id)),
    visibleBlind(ctx, token, pulse.blind),
  ]);
  const incidents = open.filter(visible);
  const blindIncident = incidents.find((incident) => incident.id === pulse.blind.incidentId);
  const now = ctx.clock.now();
  const vantages = ctx.config.vantages.map((vantage) => vantage.id);
  return {
    rows: page.items.map((check) =>
      rowOf(check, {
        vantages,
        latest: latest.get(check.id) ?? {},
        maintenance: isUnderMaintenance(maintenances, { ...check, owner: check.owner ?? undefined }, now) !== undefined,
        now,
      }),
    ),
    vantages,
    total: page.total,
    fleet: {
      vantages: fleet.map((vantage) => ({ id: vantage.id, health: vantage.health })),
      blind: { count: blind, ...(blind > 0 && blindIncident && { incidentId: blindIncident.id }) },
      probes: pulse.probes.map(lagView),
      results: pulse.results && lagView(pulse.results),
    },
    incidents: incidents.slice(0, INCIDENTS_SHOWN).map((incident) => ({
      id: incident.id,
      title: incident.title,
      status: incident.status,
      acknowledged: incident.acknowledgedAt !== undefined,
    })),
    query: options.filters,
    ...(query.cursor !== undefined && { cursor: query.cursor }),
    nextCursor: page.nextCursor,
  };
}
