import { z } from 'zod';
import { slugSchema } from '../checks/check.js';
import { DAY_MS, durationSchema } from '../config/duration.js';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const emailSchema = z.email({ error: 'expected an email address' });
const httpsUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

/** An IANA time zone name the runtime knows (`Europe/Paris`, `UTC`). */
export const timezoneSchema = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected an IANA time zone such as UTC or Europe/Paris' },
);

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

/** An ISO 8601 date-time with an offset or Z, as epoch ms. */
export const instantSchema = z.iso
  .datetime({ offset: true, error: 'expected an ISO 8601 date-time such as 2026-11-25T09:00:00Z' })
  .transform((text) => Date.parse(text));

export const personSchema = z
  .strictObject({
    id: slugSchema,
    name: z.string().min(1).max(200),
    email: emailSchema.optional(),
    /** A generic webhook (signed like channel webhooks) that pages this person. */
    webhook: httpsUrl.optional(),
    /** The order to try this person's contacts in; a contact that keeps failing falls back to the next. */
    contact: z
      .array(z.enum(['email', 'webhook']))
      .min(1)
      .optional(),
  })
  .refine((person) => person.email !== undefined || person.webhook !== undefined, {
    error: 'expected at least one of email or webhook',
  });
export type Person = z.output<typeof personSchema>;

/** A yearly window is the longest period a recurring maintenance may have. */
const MAX_PERIOD_DAYS = 366;

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

/** `person:ana`, `schedule:primary`, `channel:slack-ops`. */
export const escalationTargetSchema = z
  .string()
  .regex(/^(person|schedule|channel):[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
    error: 'expected a target such as person:ana, schedule:primary or channel:slack-ops',
  })
  .transform((text) => {
    const [kind, id = ''] = text.split(':') as ['person' | 'schedule' | 'channel', string];
    return { kind, id };
  });
export type EscalationTarget = z.output<typeof escalationTargetSchema>;

export const escalationLevelSchema = z.strictObject({
  notify: z.array(escalationTargetSchema).min(1, { error: 'expected at least one target' }),
  /** Wait after the previous level (after the incident opened, for the first) before paging this one. */
  after: durationSchema.prefault('0s'),
});

export const escalationSchema = z.strictObject({
  id: slugSchema,
  levels: z.array(escalationLevelSchema).min(1, { error: 'expected at least one level' }),
  /** Times the whole policy runs again after its last level while nobody acknowledges. */
  repeat: z.int().min(0).max(20).default(0),
  /** Wait after the last level before a repeat starts at the first again. */
  repeatAfter: durationSchema.prefault('10m'),
});
export type EscalationPolicy = z.output<typeof escalationSchema>;
export type EscalationLevel = EscalationPolicy['levels'][number];

export const CHANNEL_KINDS = ['email', 'webhook', 'slack', 'pagerduty'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export const channelSchema = z
  .strictObject({
    id: slugSchema,
    email: z.strictObject({ to: z.array(emailSchema).min(1) }).optional(),
    webhook: z.strictObject({ url: httpsUrl }).optional(),
    slack: z.strictObject({ webhookUrl: httpsUrl }).optional(),
    pagerduty: z
      .strictObject({
        routingKey: z.string().min(1).max(64),
        /** The Events API v2 endpoint; change it only for a proxy. */
        url: httpsUrl.default('https://events.pagerduty.com/v2/enqueue'),
      })
      .optional(),
  })
  .refine((channel) => CHANNEL_KINDS.filter((kind) => channel[kind] !== undefined).length === 1, {
    error: `expected exactly one of ${CHANNEL_KINDS.join(', ')}`,
  });
export type ChannelConfig = z.output<typeof channelSchema>;

/** The kind of a declared channel (exactly one of its keys is set). */
export function channelKind(channel: ChannelConfig): ChannelKind {
  return CHANNEL_KINDS.find((kind) => channel[kind] !== undefined) ?? 'webhook';
}

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
export type Maintenance = z.output<typeof maintenanceSchema>;

/** How the notifier decides, groups and pages. */
export const notifierSettingsSchema = z.strictObject({
  /** Checks of one component going down within this window join one incident, paged once. */
  groupingWindow: durationSchema.prefault('5s'),
  /** A check failing again this soon after its incident resolved reopens it. */
  reopenWindow: durationSchema.prefault('10m'),
  /** Rounds without any result before a check is `unknown` (a blind spot). */
  blindAfterRounds: z.int().min(2).max(100).default(3),
  /** Grace after a round's timeout for slow vantages before the round is decided without them. */
  roundGrace: durationSchema.prefault('2s'),
  /** Policy that pages the fleet's own on-call (vantage impaired or silent, blind spots). */
  fleetEscalation: slugSchema.default('default'),
  vantages: z
    .strictObject({
      /** Share of a vantage's checks failing only there (others see them up) that makes it impaired. */
      impairedRatio: z.number().gt(0).max(1).default(0.5),
      /** Fewest such checks before a vantage can be judged at all. */
      minChecks: z.int().min(1).default(3),
      /** How far back the judgement looks. */
      window: durationSchema.prefault('1m'),
      /** No heartbeat for this long: the vantage is silent. */
      silentAfter: durationSchema.prefault('30s'),
    })
    .prefault({}),
  /** The public base URL of the web role, for ack and status page links in pages. */
  publicUrl: httpsUrl.transform((url) => url.replace(/\/+$/, '')).optional(),
  /** Signed acknowledge links stop working after this long. */
  ackLinkTtl: durationSchema.prefault('24h'),
  /** At most `max` pages to one person per `per`; beyond, pages are dropped and logged. */
  personCap: z.strictObject({ max: z.int().positive(), per: durationSchema }).prefault({ max: 30, per: '1h' }),
  delivery: z
    .strictObject({
      /** Tries per page before falling back to the person's next contact. */
      attempts: z.int().min(1).max(50).default(8),
      /** The first retry's delay; each next one doubles. */
      backoff: durationSchema.prefault('2s'),
    })
    .prefault({}),
});
export type NotifierSettings = z.output<typeof notifierSettingsSchema>;
