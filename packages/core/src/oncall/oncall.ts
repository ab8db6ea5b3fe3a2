import type { VigilConfig } from '../config/config.js';
import { DAY_MS } from '../config/duration.js';
import { DateTime } from '../runtime/luxon.js';
import { type Layer, type Rotation, type Schedule, scheduleLayers, type Weekday } from './schedule.js';

const HOUR_MS = 3_600_000;
const MINUTES_PER_DAY = 1_440;
/** Luxon numbers weekdays 1 (Monday) to 7 (Sunday). */
const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
/** `nextHandoffs` stops looking this far after `from` (a one-person rotation never changes hands). */
const LOOKAHEAD_MS = 366 * DAY_MS;

/** Who is on call, from which layer, and the bounds of the stretch they hold. */
export interface OnCall {
  personId: string;
  /** Index into `scheduleLayers(schedule)`; an override ranks above every layer, at `layers.length`. */
  layer: number;
  /** The shift's start; for a restricted layer, clipped to the restriction's stretch of that local day. */
  shiftStart: number;
  /** The shift's end, clipped the same way; an override's bounds are its own start and end. */
  shiftEnd: number;
  override?: true;
}

/** The on-call person changes to `personId` (undefined: nobody) at epoch ms `at`. */
export interface OnCallChange {
  at: number;
  personId: string | undefined;
}

interface Span {
  start: number;
  end: number;
}

/**
 * Who a schedule pages at `at`: an override first, then the latest layer that has someone.
 * Handoffs are wall-clock times in the schedule's zone, so a 09:00 handoff stays 09:00 across DST.
 */
export function onCallAt(schedule: Schedule, at: number): OnCall | undefined {
  const layers = scheduleLayers(schedule);
  const override = schedule.overrides.findLast((o) => o.start <= at && at < o.end);
  if (override) {
    const { person, start, end } = override;
    return { personId: person, layer: layers.length, shiftStart: start, shiftEnd: end, override: true };
  }
  for (let index = layers.length - 1; index >= 0; index--) {
    const layer = layers[index];
    const onCall = layer && layerAt(layer, schedule.timezone, at);
    if (onCall) return { ...onCall, layer: index };
  }
  return undefined;
}

/** Each schedule's on-call person at `at`, by schedule id, for escalation targets `schedule:<id>`. */
export function onCallPeople(schedules: Schedule[], at: number): Map<string, string | undefined> {
  return new Map(schedules.map((schedule) => [schedule.id, onCallAt(schedule, at)?.personId]));
}

/**
 * The next `count` times the on-call person changes after `from`, for `vigil oncall`.
 * Steps through shift ends, restriction edges and override edges; looks at most a year ahead.
 */
export function nextHandoffs(schedule: Schedule, from: number, count: number): OnCallChange[] {
  const changes: OnCallChange[] = [];
  let current = onCallAt(schedule, from)?.personId;
  let at = from;
  while (changes.length < count) {
    at = nextBoundary(schedule, at);
    if (at > from + LOOKAHEAD_MS) break;
    const personId = onCallAt(schedule, at)?.personId;
    if (personId !== current) {
      changes.push({ at, personId });
      current = personId;
    }
  }
  return changes;
}

function layerAt(layer: Layer, zone: string, at: number): Omit<OnCall, 'layer'> | undefined {
  const window = restrictionWindow(layer, zone, at);
  if (!window) return undefined;
  const { people } = layer.rotation;
  const shift = shiftAt(layer.rotation, zone, at);
  const personId = people[floorMod(shift.index, people.length)];
  if (personId === undefined) return undefined;
  return { personId, shiftStart: Math.max(shift.start, window.start), shiftEnd: Math.min(shift.end, window.end) };
}

/** The earliest instant after `after` at which anything that decides who is on call can change. */
function nextBoundary(schedule: Schedule, after: number): number {
  const zone = schedule.timezone;
  const candidates = schedule.overrides.flatMap((o) => [o.start, o.end]);
  for (const layer of scheduleLayers(schedule)) {
    candidates.push(shiftAt(layer.rotation, zone, after).end);
    if (layer.restrict) candidates.push(...restrictionEdges(layer, zone, after));
  }
  return Math.min(...candidates.filter((candidate) => candidate > after));
}

/** The shift containing `at`; index 0 starts at the first handoff, earlier shifts have negative indexes. */
function shiftAt(rotation: Rotation, zone: string, at: number): Span & { index: number } {
  const firstDate = firstHandoffDate(rotation);
  const { count, unit } = rotation.every;
  const minutes = rotation.handoff.minutes;
  if (unit === 'h') {
    const first = wallClock(firstDate, minutes, zone);
    const length = count * HOUR_MS;
    const index = Math.floor((at - first) / length);
    return { index, start: first + index * length, end: first + (index + 1) * length };
  }
  const days = unit === 'w' ? count * 7 : count;
  const handoffAt = (index: number) => wallClock(firstDate.plus({ days: index * days }), minutes, zone);
  let index = Math.floor(calendarDays(firstDate, localDate(at, zone)) / days);
  if (at < handoffAt(index)) index -= 1;
  return { index, start: handoffAt(index), end: handoffAt(index + 1) };
}

/** The rotation's start date, moved on to the handoff's weekday when it names one. */
function firstHandoffDate(rotation: Rotation): DateTime {
  const start = DateTime.fromISO(rotation.start, { zone: 'utc' });
  const weekday = rotation.handoff.weekday;
  if (weekday === undefined) return start;
  return start.plus({ days: floorMod(WEEKDAYS.indexOf(weekday) + 1 - start.weekday, 7) });
}

/** The stretch of the local day around `at` in which a layer applies, or undefined when it does not. */
function restrictionWindow(layer: Layer, zone: string, at: number): Span | undefined {
  const restrict = layer.restrict;
  if (!restrict) return { start: -Infinity, end: Infinity };
  const local = DateTime.fromMillis(at, { zone });
  const weekday = WEEKDAYS[local.weekday - 1];
  if (restrict.days && weekday && !restrict.days.includes(weekday)) return undefined;
  const [from, to] = restrictedHours(restrict.hours);
  const minutes = local.hour * 60 + local.minute;
  const inside = from <= to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
  if (!inside) return undefined;
  const edges = restrictionEdges(layer, zone, at);
  const start = Math.max(...edges.filter((edge) => edge <= at));
  return { start, end: Math.min(...edges.filter((edge) => edge > at)) };
}

/** Midnight, the restricted hours' start and end, and the next midnight, on the local day of `at`. */
function restrictionEdges(layer: Layer, zone: string, at: number): number[] {
  const [from, to] = restrictedHours(layer.restrict?.hours);
  const date = localDate(at, zone);
  return [0, from, to, MINUTES_PER_DAY].map((minutes) => wallClock(date, minutes, zone));
}

/** `09:00-18:00` as minutes after midnight; the whole day when absent. An end before the start wraps midnight. */
function restrictedHours(hours: string | undefined): [number, number] {
  if (hours === undefined) return [0, MINUTES_PER_DAY];
  const [from = 0, to = MINUTES_PER_DAY] = hours.split('-').map((time) => {
    const [hour = 0, minute = 0] = time.split(':').map(Number);
    return hour * 60 + minute;
  });
  return [from, to];
}

/** The instant of a wall-clock time (minutes after midnight, up to 24:00) on a local date in `zone`. */
function wallClock(date: DateTime, minutes: number, zone: string): number {
  const day = date.plus({ days: Math.floor(minutes / MINUTES_PER_DAY) });
  const rest = minutes % MINUTES_PER_DAY;
  const { year, month, day: dayOfMonth } = day;
  return DateTime.fromObject(
    { year, month, day: dayOfMonth, hour: Math.floor(rest / 60), minute: rest % 60 },
    { zone },
  ).toMillis();
}

/** The calendar date of `at` in `zone`, as a UTC midnight so day arithmetic ignores DST. */
function localDate(at: number, zone: string): DateTime {
  const local = DateTime.fromMillis(at, { zone });
  return DateTime.utc(local.year, local.month, local.day);
}

function calendarDays(from: DateTime, to: DateTime): number {
  return Math.round((to.toMillis() - from.toMillis()) / DAY_MS);
}

function floorMod(value: number, modulus: number): number {
  return ((value % modulus) + modulus) % modulus;
}

export interface OnCallRow {
  schedule: string;
  person?: { id: string; name: string };
  until?: number;
  next?: { at: number; personId?: string };
}

/** Who is on call in each schedule at `at`, until when, and who is next. */
export function onCallReport(config: Pick<VigilConfig, 'schedules' | 'people'>, at: number): OnCallRow[] {
  return config.schedules.map((schedule) => {
    const current = onCallAt(schedule, at);
    const person = config.people.find((p) => p.id === current?.personId);
    const [next] = nextHandoffs(schedule, at, 1);
    return {
      schedule: schedule.id,
      ...(person && { person: { id: person.id, name: person.name } }),
      ...(current && { until: current.shiftEnd }),
      ...(next && { next: { at: next.at, ...(next.personId && { personId: next.personId }) } }),
    };
  });
}
