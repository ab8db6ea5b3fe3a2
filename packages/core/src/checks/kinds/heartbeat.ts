import { createRequire } from 'node:module';
import type * as CronParser from 'cron-parser';
import { z } from 'zod';
import { durationSchema, formatDuration } from '../../config/duration.js';
import { DateTime } from '../../runtime/luxon.js';
import type { CheckKindModule } from './check-kind.js';

/**
 * cron-parser's CommonJS build, required when a schedule is first read: the copy BullMQ's job
 * schedulers already load, kept off the start of processes (`vigil --help`) that never read one.
 */
function cron(): typeof CronParser {
  return createRequire(import.meta.url)('cron-parser') as typeof CronParser;
}

/** A five-field cron expression (minute hour day-of-month month day-of-week), the form crontab users know. */
function isCronExpression(text: string): boolean {
  if (text.trim().split(/\s+/).length !== 5) return false;
  try {
    cron().parseExpression(text, { tz: 'UTC' });
    return true;
  } catch {
    return false;
  }
}

function isTimeZone(name: string): boolean {
  return DateTime.now().setZone(name).isValid;
}

export const heartbeatSpecSchema = z
  .strictObject({
    /** How late a ping may come after it was due before the check fails. */
    grace: durationSchema.prefault('1m'),
    /** When the job runs (cron, five fields); without it, a ping is due every `interval`. */
    schedule: z
      .string()
      .refine(isCronExpression, { error: 'expected a cron expression of five fields, such as "0 3 * * *"' })
      .optional(),
    /** The time zone `schedule` is read in (IANA name); UTC by default. */
    timezone: z.string().refine(isTimeZone, { error: 'expected an IANA time zone such as Europe/Paris' }).optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.timezone !== undefined && spec.schedule === undefined) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'expected only with a schedule' });
    }
  })
  .meta({ description: 'Pushed: the job pings /ping/<token> every interval or on a cron schedule, within a grace.' });
export type HeartbeatSpec = z.output<typeof heartbeatSpecSchema>;

/** The first time the schedule fires strictly after `after` (epoch ms). */
export function nextScheduledRun(spec: { schedule: string; timezone?: string | undefined }, after: number): number {
  const expression = cron().parseExpression(spec.schedule, {
    currentDate: new Date(after),
    tz: spec.timezone ?? 'UTC',
  });
  return expression.next().getTime();
}

/**
 * When the next successful ping is due at the latest, after one at `anchor`: an interval and the grace
 * later, or the grace after the schedule's next run (counted from the grace after the anchor, so a
 * job that pings a little before its time is not due again a moment later).
 */
export function heartbeatDeadline(spec: HeartbeatSpec, intervalMs: number, anchor: number): number {
  if (spec.schedule === undefined) return anchor + intervalMs + spec.grace;
  return nextScheduledRun({ schedule: spec.schedule, timezone: spec.timezone }, anchor + spec.grace) + spec.grace;
}

function when(spec: HeartbeatSpec): string {
  if (spec.schedule === undefined) return 'every interval';
  return `"${spec.schedule}"${spec.timezone === undefined ? '' : ` ${spec.timezone}`}`;
}

export const heartbeatKind = {
  summary: 'pushed: the job pings Vigil every interval or on a cron schedule; a missing ping is an outage',
  schema: heartbeatSpecSchema,
  /** Judged by the notifier from pings: no slots, no probes, no vantages. */
  probed: false,
  flag: {
    value: 'GRACE',
    example: '2m',
    toInput: (text) => ({ grace: text }),
  },
  target: (spec) => `push ${when(spec)} +${formatDuration(spec.grace)}`,
  describe: (spec) => `push ${when(spec)}, grace ${formatDuration(spec.grace)}`,
  publicTarget: () => 'heartbeat',
  limitKey: () => 'push',
  policyHosts: (_spec: unknown) => [],
  toInput: (spec) => ({ ...spec, grace: formatDuration(spec.grace) }),
  redact: (spec) => spec,
} satisfies CheckKindModule<HeartbeatSpec, unknown>;
