/**
 * Public components from their checks: the state the notifier decided for each check, the maintenance
 * in force, and the 90 daily verdict buckets. Checks appear by name and target only when `public`.
 */
import type { Check } from '../checks/check.js';
import { publicCheckTarget } from '../checks/kinds/registry.js';
import { activeMaintenances, isUnderMaintenance } from '../maintenance/maintenance.js';
import type { Maintenance } from '../maintenance/maintenance-schema.js';
import { readUptimeDays, type UptimeDayCounts } from '../results/uptime.js';
import type { RoleContext } from '../runtime/context.js';
import type { ComponentStatus, PublicCheck, PublicComponent, UptimeBarDay } from './public-status.js';
import type { PublicComponentRef } from './status-page-settings.js';

/** Days of uptime bars on the page. */
export const UPTIME_BAR_DAYS = 90;

/**
 * A day on which at least this share of the component's decided rounds failed is drawn as a major
 * outage; any failed round (a confirmed failure, not a blip: rounds are decided by quorum) as partial.
 */
export const MAJOR_OUTAGE_DAY_SHARE = 0.5;

/** Worst last: what a group of components (or a page) shows is the highest ranked status. */
const STATUS_RANK: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};

export function worstStatus(statuses: readonly ComponentStatus[]): ComponentStatus {
  return statuses.reduce<ComponentStatus>(
    (worst, s) => (STATUS_RANK[s] > STATUS_RANK[worst] ? s : worst),
    'operational',
  );
}

interface CheckReading {
  check: Check;
  /** The notifier's state: up, degraded, down, unknown; undefined before any decided round. */
  state?: string;
  /** When that state began (epoch ms). */
  since?: number;
  days: UptimeDayCounts[];
  maintenance: boolean;
}

/** The page's components in order, each with its status, bars and public checks. */
export async function readPublicComponents(
  ctx: Pick<RoleContext, 'redis' | 'keys'>,
  input: {
    refs: readonly PublicComponentRef[];
    checks: readonly Check[];
    maintenances: Maintenance[];
    now: number;
    /** A check's bars; by default read from Redis each time (the reader keeps them a minute). */
    days?: (checkId: string) => Promise<UptimeDayCounts[]>;
  },
): Promise<PublicComponent[]> {
  const { refs, maintenances, now } = input;
  const ids = new Set(refs.map((ref) => ref.id));
  const checks = input.checks.filter((check) => check.component !== undefined && ids.has(check.component));
  const days = input.days ?? ((checkId: string) => readUptimeDays(ctx, checkId, UPTIME_BAR_DAYS, now));
  const readings = await readChecks(ctx, { checks, maintenances, now, days });
  const active = activeMaintenances(maintenances, now);
  return refs.map((ref, position) => {
    const own = readings.filter((reading) => reading.check.component === ref.id);
    const covered = active.some((m) => m.components.includes(ref.id));
    const days = sumDays(own.map((reading) => reading.days));
    const since = own.flatMap((reading) => (reading.since === undefined ? [] : [reading.since]));
    return {
      id: ref.id,
      name: ref.name,
      ...(ref.description !== undefined && { description: ref.description }),
      ...(ref.group !== undefined && { group: ref.group }),
      status: componentStatus(own, covered),
      position,
      uptimeDays: days.map(toBarDay),
      uptime: uptimeOf(days),
      ...(since.length > 0 && { updatedAt: Math.max(...since) }),
      checks: own.filter((reading) => reading.check.public).map(toPublicCheck),
    };
  });
}

async function readChecks(
  ctx: Pick<RoleContext, 'redis' | 'keys'>,
  input: {
    checks: readonly Check[];
    maintenances: Maintenance[];
    now: number;
    days: (checkId: string) => Promise<UptimeDayCounts[]>;
  },
): Promise<CheckReading[]> {
  const { checks, maintenances, now } = input;
  const pipeline = ctx.redis.pipeline();
  for (const check of checks) pipeline.hmget(ctx.keys.checkState(check.id), 'state', 'since');
  const [states, days] = await Promise.all([pipeline.exec(), Promise.all(checks.map((check) => input.days(check.id)))]);
  return checks.map((check, i) => {
    const [state, since] = (states?.[i]?.[1] ?? []) as (string | null)[];
    return {
      check,
      ...(state && { state }),
      ...(since && { since: Number(since) }),
      days: days[i] ?? [],
      maintenance: isUnderMaintenance(maintenances, check, now) !== undefined,
    };
  });
}

/**
 * Worst of the component's checks. Paused checks say nothing; a maintenance over the component, or
 * over every one of its checks, shows as maintenance (failures then are expected, and page nobody);
 * checks under maintenance do not count towards an outage.
 */
function componentStatus(readings: readonly CheckReading[], covered: boolean): ComponentStatus {
  const running = readings.filter((reading) => !reading.check.paused);
  if (covered || (running.length > 0 && running.every((reading) => reading.maintenance))) return 'under_maintenance';
  const counted = running.filter((reading) => !reading.maintenance);
  const down = counted.filter((reading) => reading.state === 'down').length;
  if (down > 0 && down === counted.length) return 'major_outage';
  if (down > 0) return 'partial_outage';
  if (counted.some((reading) => reading.state === 'degraded')) return 'degraded_performance';
  return 'operational';
}

function checkStatus(reading: CheckReading): ComponentStatus {
  if (reading.maintenance) return 'under_maintenance';
  if (reading.check.paused) return 'operational';
  if (reading.state === 'down') return 'major_outage';
  if (reading.state === 'degraded') return 'degraded_performance';
  return 'operational';
}

function toPublicCheck(reading: CheckReading): PublicCheck {
  const { check } = reading;
  return { id: check.id, name: check.name, target: publicCheckTarget(check), status: checkStatus(reading) };
}

/** Day-by-day sums over several checks (each list covers the same days, oldest first). */
function sumDays(perCheck: readonly UptimeDayCounts[][]): UptimeDayCounts[] {
  const first = perCheck[0];
  if (!first) return [];
  return first.map((day, i) => {
    const sum = { day: day.day, ok: 0, degraded: 0, fail: 0 };
    for (const days of perCheck) {
      const counts = days[i];
      if (!counts) continue;
      sum.ok += counts.ok;
      sum.degraded += counts.degraded;
      sum.fail += counts.fail;
    }
    return sum;
  });
}

function toBarDay(counts: UptimeDayCounts): UptimeBarDay {
  const rounds = counts.ok + counts.degraded + counts.fail;
  const uptime = rounds === 0 ? null : (counts.ok + counts.degraded) / rounds;
  return { day: counts.day, uptime, worst: worstOfDay(counts, rounds) };
}

function worstOfDay(counts: UptimeDayCounts, rounds: number): UptimeBarDay['worst'] {
  if (rounds === 0) return 'no_data';
  if (counts.fail / rounds >= MAJOR_OUTAGE_DAY_SHARE) return 'major_outage';
  if (counts.fail > 0) return 'partial_outage';
  if (counts.degraded > 0) return 'degraded_performance';
  return 'operational';
}

function uptimeOf(days: readonly UptimeDayCounts[]): number | null {
  let up = 0;
  let rounds = 0;
  for (const day of days) {
    up += day.ok + day.degraded;
    rounds += day.ok + day.degraded + day.fail;
  }
  return rounds === 0 ? null : up / rounds;
}
