import { DAY_MS } from '../config/duration.js';
import { DateTime } from '../runtime/luxon.js';
import type { Maintenance } from './maintenance-schema.js';

type Recurring = NonNullable<Maintenance['recurring']>;

/** One window of a maintenance, [start, end) in epoch ms. */
export interface MaintenanceWindow {
  start: number;
  end: number;
}

/** A window as the status page lists it: which maintenance, and when. */
export interface ScheduledWindow extends MaintenanceWindow {
  maintenance: Maintenance;
}

/**
 * The window of `m` that contains `at`, if any. Recurring windows repeat every `every` in local
 * calendar days of their time zone, so a weekly 02:00 window stays at 02:00 across DST.
 */
export function maintenanceWindowAt(m: Maintenance, at: number): MaintenanceWindow | undefined {
  if (!m.recurring) {
    return m.end !== undefined && m.start <= at && at < m.end ? { start: m.start, end: m.end } : undefined;
  }
  const index = latestWindowIndex(m.start, m.recurring, at);
  if (index < 0) return undefined;
  const window = windowOf(m.start, m.recurring, index);
  return at < window.end ? window : undefined;
}

/** The maintenances with a window open at `at`. */
export function activeMaintenances(maintenances: Maintenance[], at: number): Maintenance[] {
  return maintenances.filter((m) => maintenanceWindowAt(m, at) !== undefined);
}

/**
 * Whether `m` names check `id` while `owner` owns it: a stored maintenance names the checks of the
 * owners recorded when it was stored (ids are reusable once a check is deleted), so another owner's
 * later check of the same id is not in it. vigil.yaml's name the operators' checks by id.
 */
export function namesCheck(m: Maintenance, id: string, owner: string | undefined): boolean {
  if (!m.checks.includes(id)) return false;
  if (m.owners === undefined) return true;
  return (Object.hasOwn(m.owners, id) ? m.owners[id] : undefined) === owner;
}

/** The active maintenance covering a check, by its id or its component's: a failure then pages nobody. */
export function isUnderMaintenance(
  maintenances: Maintenance[],
  check: { id: string; component?: string; owner?: string },
  at: number,
): Maintenance | undefined {
  const covers = (m: Maintenance) =>
    namesCheck(m, check.id, check.owner) || (check.component !== undefined && m.components.includes(check.component));
  return activeMaintenances(maintenances, at).find(covers);
}

/**
 * Windows ongoing at `from` or starting before `from + horizonMs`, earliest first, for the status
 * page's scheduled maintenance. `horizonMs` must be finite: recurring windows never run out.
 */
export function upcomingWindows(maintenances: Maintenance[], from: number, horizonMs: number): ScheduledWindow[] {
  const until = from + horizonMs;
  const windows = maintenances.flatMap((maintenance) =>
    windowsBetween(maintenance, from, until).map((window) => ({ maintenance, ...window })),
  );
  return windows.sort((a, b) => a.start - b.start || a.maintenance.id.localeCompare(b.maintenance.id));
}

function windowsBetween(m: Maintenance, from: number, until: number): MaintenanceWindow[] {
  if (!m.recurring) {
    return m.end !== undefined && m.start < until && m.end > from ? [{ start: m.start, end: m.end }] : [];
  }
  const { start, recurring } = m;
  const windows: MaintenanceWindow[] = [];
  const ongoing = maintenanceWindowAt(m, from);
  if (ongoing) windows.push(ongoing);
  for (let index = Math.max(latestWindowIndex(start, recurring, from) + 1, 0); ; index++) {
    const window = windowOf(start, recurring, index);
    if (!(window.start < until)) break; // also stops on an unrepresentable date
    windows.push(window);
  }
  return windows;
}

/** The index of the last recurring window to start at or before `at`; negative before the first. */
function latestWindowIndex(start: number, recurring: Recurring, at: number): number {
  const zone = recurring.timezone;
  const days = calendarDate(at, zone) - calendarDate(start, zone);
  const index = Math.floor(days / periodDays(recurring));
  return at < windowOf(start, recurring, index).start ? index - 1 : index;
}

/** Recurring window `index`: the first window's local wall-clock time, `index` periods of calendar days on. */
function windowOf(first: number, recurring: Recurring, index: number): MaintenanceWindow {
  const start = DateTime.fromMillis(first, { zone: recurring.timezone })
    .plus({ days: index * periodDays(recurring) })
    .toMillis();
  return { start, end: start + recurring.duration };
}

function periodDays({ every }: Recurring): number {
  return every.unit === 'w' ? every.count * 7 : every.count;
}

/** The local calendar date of `at` in `zone`, as days since 1970-01-01, so day differences ignore DST. */
function calendarDate(at: number, zone: string): number {
  const local = DateTime.fromMillis(at, { zone });
  return Date.UTC(local.year, local.month - 1, local.day) / DAY_MS;
}
