import { z } from 'zod';
import { slugSchema } from '../checks/check.js';
import { durationSchema, formatDuration } from './duration.js';
import { httpsUrlSchema } from './field-schemas.js';

/** `notifier.latencyMergeEvery` unless said (see there); `pnpm bench scale` sizes Redis with it. */
export const DEFAULT_LATENCY_MERGE_MS = 900_000;

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
  /**
   * How often the latency sums a notifier holds in memory are merged into the charts' rollups (also
   * at each hour boundary and on shutdown). A merge costs Redis ~10 µs a check × vantage whatever it
   * holds, and every notifier merges its own part: with 3 notifiers sharing a 30 s check's results,
   * merges every 5 minutes cost ~3 µs of Redis a result, every 15 ~1. Longer: less Redis and
   * notifier work, the 24 h chart's current hour brought up to date less often, and more chart
   * samples lost when a notifier crashes (uptime, incidents and history never wait on it).
   */
  latencyMergeEvery: durationSchema
    .refine((ms) => ms >= 60_000 && ms <= 3_600_000, { error: 'expected a duration from 1m to 1h' })
    .prefault(formatDuration(DEFAULT_LATENCY_MERGE_MS)),
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
  publicUrl: httpsUrlSchema.transform((url) => url.replace(/\/+$/, '')).optional(),
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
      /**
       * A page whose notifier went silent mid-send (stopped, killed) is taken over by another notifier
       * after this long, and resent once with the same idempotency key.
       */
      takeoverAfter: durationSchema
        .refine((ms) => ms >= 1_000 && ms <= 600_000, { error: 'expected a duration from 1s to 10m' })
        .prefault('30s'),
    })
    .prefault({}),
});
export type NotifierSettings = z.output<typeof notifierSettingsSchema>;
