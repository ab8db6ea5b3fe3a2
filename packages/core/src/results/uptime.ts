import { DAY_MS } from '../config/duration.js';
import { VigilError } from '../errors/errors.js';
import type { RoleContext } from '../runtime/context.js';
import { type RedisKeys, utcDay } from '../runtime/keys.js';
import { HOUR_COUNTS_FIELD, parseHourCounts, readDayCounts, readHourCounts } from './verdict-ring.js';

const HOUR_MS = 3_600_000;

/** The longest window read (90 days), so the most days `readUptimeDays` serves. */
export const MAX_UPTIME_DAYS = 90;

/**
 * How long the evaluator keeps verdict counts: one period longer than the longest window that reads
 * them (days for 90 days, hours for the 25 hours behind the 24 h window). The hour ring lives as long
 * as the day ring (the script keeps both the longer): its newest hour is not in the day ring yet. A field a period; keeping
 * 100 days and 49 hours cost a check ~500 B more for nothing read (`pnpm bench footprint`).
 */
export const VERDICT_BUCKET_TTL_S = { day: 91 * 86_400, hour: 26 * 3_600 } as const;

export type UptimeWindow = '24h' | '7d' | '30d' | '90d';

/** Decided rounds in one window. `uptime` counts degraded rounds as up; null when no round was decided. */
export interface WindowUptime {
  window: UptimeWindow;
  rounds: number;
  ok: number;
  degraded: number;
  fail: number;
  uptime: number | null;
}

export type UptimeReport = Record<UptimeWindow, WindowUptime>;

/** One UTC day of decided rounds; all zeros is a day without data, not a day of downtime. */
export interface UptimeDayCounts {
  day: string;
  ok: number;
  degraded: number;
  fail: number;
}

type UptimeContext = Pick<RoleContext, 'redis' | 'keys'>;

/** UTC hour of an epoch ms timestamp, as `YYYY-MM-DDTHH`: the name of an hour verdict bucket. */
export function utcHour(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 13);
}

/**
 * The day and hour buckets a round decided for `round` (epoch ms) was counted in before verdicts were
 * packed (see `readUptime`): still read, so an upgrade loses no uptime; no longer written.
 */
export function verdictBucketKeys(keys: RedisKeys, checkId: string, round: number): { day: string; hour: string } {
  return { day: keys.verdictDay(checkId, utcDay(round)), hour: keys.verdictHour(checkId, utcHour(round)) };
}

/**
 * Uptime over 24 h, 7 d, 30 d and 90 d from the evaluator's decided rounds, in one round trip (the
 * rings and the state's counts of its latest hour, not in the rings yet: results/verdict-ring.ts).
 * 24 h reads the 25 hour buckets the window touches, the oldest (partial) hour wholly; the others read
 * day buckets, today included. Rounds never decided are absent: no data, not downtime.
 */
export async function readUptime(ctx: UptimeContext, checkId: string, now: number): Promise<UptimeReport> {
  const hourStarts = Array.from({ length: 25 }, (_, i) => now - (24 - i) * HOUR_MS);
  const dayStarts = lastDayStarts(MAX_UPTIME_DAYS, now);
  // One MULTI: the rings and the state's hour read at one moment (a round between them could move an
  // hour from the state into the ring after the ring was read). A check's keys share its slot.
  const pipeline = ctx.redis.multi();
  pipeline.getBuffer(ctx.keys.verdictHourRing(checkId));
  pipeline.getBuffer(ctx.keys.verdictDayRing(checkId));
  pipeline.hget(ctx.keys.checkState(checkId), HOUR_COUNTS_FIELD);
  pipeline.hgetall(ctx.keys.verdictHours(checkId));
  pipeline.hgetall(ctx.keys.verdictDays(checkId));
  for (const at of hourStarts) pipeline.hgetall(ctx.keys.verdictHour(checkId, utcHour(at)));
  for (const at of dayStarts) pipeline.hgetall(ctx.keys.verdictDay(checkId, utcDay(at)));
  const replies = ((await pipeline.exec()) ?? []).map(([err, reply]) => {
    if (err) throw err;
    return reply;
  });
  const [hourRing, dayRing, hourCounts] = replies as [Buffer | null, Buffer | null, string | null];
  const open = parseHourCounts(hourCounts);
  const [packedHours = {}, packedDays = {}, ...buckets] = replies.slice(3) as Record<string, string>[];
  const legacy = buckets.map(toCounts);
  const hour = (at: number, i: number) => {
    const period = Math.floor(at / HOUR_MS);
    const ring = readHourCounts(hourRing, period, open);
    return addCounts(addCounts(ring, unpack(packedHours[period])), legacy[i]);
  };
  const day = (at: number, i: number) => {
    const period = Math.floor(at / DAY_MS);
    const ring = readDayCounts(dayRing, hourRing, period, open);
    return addCounts(addCounts(ring, unpack(packedDays[period])), legacy[hourStarts.length + i]);
  };
  const counts = [...hourStarts.map(hour), ...dayStarts.map(day)];
  const dayCounts = counts.slice(hourStarts.length);
  return {
    '24h': summarize('24h', counts.slice(0, hourStarts.length)),
    '7d': summarize('7d', dayCounts.slice(-7)),
    '30d': summarize('30d', dayCounts.slice(-30)),
    '90d': summarize('90d', dayCounts),
  };
}

/** Per-day counts for the `days` UTC days ending today (oldest first): the status page's bars. */
export async function readUptimeDays(
  ctx: UptimeContext,
  checkId: string,
  days: number,
  now: number,
): Promise<UptimeDayCounts[]> {
  if (!Number.isInteger(days) || days < 1 || days > MAX_UPTIME_DAYS) {
    const expected = `an integer from 1 to ${MAX_UPTIME_DAYS}`;
    throw new VigilError('VALIDATION', `days must be ${expected}`, [
      { path: 'days', message: expected, received: String(days) },
    ]);
  }
  const dayStarts = lastDayStarts(days, now);
  // One MULTI, as readUptime's.
  const pipeline = ctx.redis.multi();
  pipeline.getBuffer(ctx.keys.verdictDayRing(checkId));
  pipeline.getBuffer(ctx.keys.verdictHourRing(checkId));
  pipeline.hget(ctx.keys.checkState(checkId), HOUR_COUNTS_FIELD);
  pipeline.hgetall(ctx.keys.verdictDays(checkId));
  for (const at of dayStarts) pipeline.hgetall(ctx.keys.verdictDay(checkId, utcDay(at)));
  const replies = ((await pipeline.exec()) ?? []).map(([err, reply]) => {
    if (err) throw err;
    return reply;
  });
  const [dayRing = null, hourRing = null] = replies as (Buffer | null)[];
  const open = parseHourCounts(replies[2] as string | null);
  const [packed = {}, ...legacy] = replies.slice(3) as Record<string, string>[];
  return dayStarts.map((at, i) => {
    const period = Math.floor(at / DAY_MS);
    const counts = addCounts(readDayCounts(dayRing, hourRing, period, open), unpack(packed[period]));
    return { day: utcDay(at), ...addCounts(counts, toCounts(legacy[i] ?? {})) };
  });
}

/**
 * The three counts of a period, packed in one integer by the evaluator's script before the rings
 * (`HINCRBY` by 1, 2^20 or 2^40): one hash field a day instead of a hash a day. Still read.
 */
export const VERDICT_WEIGHTS = { ok: 1n, degraded: 1n << 20n, fail: 1n << 40n } as const;
const COUNT_MASK = (1n << 20n) - 1n;

function unpack(value: string | undefined): Counts {
  if (value === undefined) return { ok: 0, degraded: 0, fail: 0 };
  const packed = BigInt(value);
  return {
    ok: Number(packed & COUNT_MASK),
    degraded: Number((packed >> 20n) & COUNT_MASK),
    fail: Number(packed >> 40n),
  };
}

function addCounts(a: Counts, b: Counts | undefined): Counts {
  return { ok: a.ok + (b?.ok ?? 0), degraded: a.degraded + (b?.degraded ?? 0), fail: a.fail + (b?.fail ?? 0) };
}

type Counts = Omit<UptimeDayCounts, 'day'>;

/** A moment in each of the `days` UTC days ending at `now`, oldest first. */
function lastDayStarts(days: number, now: number): number[] {
  return Array.from({ length: days }, (_, i) => now - (days - 1 - i) * DAY_MS);
}

function toCounts(hash: Record<string, string>): Counts {
  return { ok: Number(hash.ok ?? 0), degraded: Number(hash.degraded ?? 0), fail: Number(hash.fail ?? 0) };
}

function summarize(window: UptimeWindow, buckets: readonly Counts[]): WindowUptime {
  let ok = 0;
  let degraded = 0;
  let fail = 0;
  for (const bucket of buckets) {
    ok += bucket.ok;
    degraded += bucket.degraded;
    fail += bucket.fail;
  }
  const rounds = ok + degraded + fail;
  return { window, rounds, ok, degraded, fail, uptime: rounds === 0 ? null : (rounds - fail) / rounds };
}
