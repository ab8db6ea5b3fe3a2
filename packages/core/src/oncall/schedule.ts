import { z } from 'zod';
import { slugSchema } from '../checks/check.js';
import { instantSchema, timezoneSchema } from '../config/field-schemas.js';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** `09:00`, `23:30`: a wall-clock time, as minutes after midnight. */
export const clockTimeSchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a time of day such as 09:00' })
  .transform((text) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3)));

/** `mon 09:00` (weekly rotations) or `09:00` (every day): when one shift hands off to the next. */
export const handoffSchema = z
  .string()
  .regex(/^(?:(mon|tue|wed|thu|fri|sat|sun) )?([01]\d|2[0-3]):[0-5]\d$/, {
    error: 'expected a handoff such as "mon 09:00" or "09:00"',
  })
  .transform((text) => {
    const [first = '', second] = text.split(' ');
    const time = second ?? first;
    return {
      weekday: second ? (first as Weekday) : undefined,
      minutes: Number(time.slice(0, 2)) * 60 + Number(time.slice(3)),
    };
  });
export type Handoff = z.output<typeof handoffSchema>;

export const rotationSchema = z.strictObject({
  /** Length of one shift: `1d`, `1w` (written `7d`), `12h`. */
  every: z
    .string()
    .regex(/^\d+[hdw]$/, { error: 'expected a shift length such as 12h, 1d or 1w' })
    .transform((text) => ({ count: Number(text.slice(0, -1)), unit: text.slice(-1) as 'h' | 'd' | 'w' }))
    .refine((every) => every.count > 0, { error: 'expected a shift longer than zero' }),
  handoff: handoffSchema.prefault('09:00'),
  /** People in turn; the first is on call for the shift that starts at `start`. */
  people: z.array(slugSchema).min(1, { error: 'expected at least one person' }),
  /** The date (in the schedule's time zone) the rotation starts from; default 2024-01-01. */
  start: z.iso.date({ error: 'expected a date such as 2026-01-05' }).default('2024-01-01'),
});
export type Rotation = z.output<typeof rotationSchema>;

/** A layer: a rotation, optionally only on some days and hours (a later layer takes precedence). */
export const layerSchema = z.strictObject({
  rotation: rotationSchema,
  restrict: z
    .strictObject({
      days: z.array(z.enum(WEEKDAYS)).min(1).optional(),
      hours: z
        .string()
        .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, { error: 'expected hours such as 09:00-18:00' })
        .optional(),
    })
    .optional(),
});
export type Layer = z.output<typeof layerSchema>;

export const overrideSchema = z.strictObject({
  person: slugSchema,
  start: instantSchema,
  end: instantSchema,
});
export type Override = z.output<typeof overrideSchema>;

export const scheduleSchema = z
  .strictObject({
    id: slugSchema,
    name: z.string().min(1).max(200).optional(),
    timezone: timezoneSchema.default('UTC'),
    /** Shorthand for a single layer. */
    rotation: rotationSchema.optional(),
    layers: z.array(layerSchema).optional(),
    overrides: z.array(overrideSchema).default([]),
  })
  .refine((schedule) => (schedule.rotation === undefined) !== (schedule.layers === undefined), {
    error: 'expected exactly one of rotation or layers',
  });
export type Schedule = z.output<typeof scheduleSchema>;

/** A schedule's layers, the `rotation` shorthand being one layer. */
export function scheduleLayers(schedule: Schedule): Layer[] {
  return schedule.layers ?? (schedule.rotation ? [{ rotation: schedule.rotation }] : []);
}
