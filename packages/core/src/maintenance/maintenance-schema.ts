import { z } from 'zod';
import { slugSchema } from '../checks/check.js';
import { DAY_MS, durationSchema } from '../config/duration.js';
import { instantSchema, timezoneSchema } from '../config/field-schemas.js';

/** A yearly window is the longest period a recurring maintenance may have. */
const MAX_PERIOD_DAYS = 366;

export const maintenanceSchema = z
  .strictObject({
    id: slugSchema,
    title: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    checks: z.array(slugSchema).default([]),
    components: z.array(slugSchema).default([]),
    /** The (first) window's start. */
    start: instantSchema,
    /** One-off windows end here. */
    end: instantSchema.optional(),
    /** Recurring windows: one every `every`, each `duration` long, in `timezone` wall-clock time. */
    recurring: z
      .strictObject({
        every: z
          .string()
          .regex(/^[1-9]\d*[dw]$/, { error: 'expected a period such as 1d or 1w' })
          .transform((text) => ({ count: Number(text.slice(0, -1)), unit: text.slice(-1) as 'd' | 'w' }))
          .refine((every) => every.count * (every.unit === 'w' ? 7 : 1) <= MAX_PERIOD_DAYS, {
            error: `expected a period of at most ${MAX_PERIOD_DAYS}d`,
          }),
        duration: durationSchema,
        timezone: timezoneSchema.default('UTC'),
      })
      .refine((r) => r.duration <= r.every.count * (r.every.unit === 'w' ? 7 : 1) * DAY_MS, {
        error: 'expected a duration no longer than the period',
        path: ['duration'],
      })
      .optional(),
  })
  .refine((m) => (m.end === undefined) !== (m.recurring === undefined), {
    error: 'expected exactly one of end (one-off) or recurring',
  })
  .refine((m) => m.end === undefined || m.end > m.start, { error: 'expected end after start', path: ['end'] })
  .refine((m) => m.checks.length + m.components.length > 0, {
    error: 'expected at least one check or component',
    path: ['checks'],
  });
export type Maintenance = z.output<typeof maintenanceSchema> & {
  /**
   * Stored maintenances: the owner each named check had when the maintenance was stored (absent for
   * the operators' checks), so it never covers the next owner's check of a reused id. Recorded by the
   * server, never taken from a body; absent on vigil.yaml's and on those stored before it was recorded.
   */
  owners?: Record<string, string>;
};
