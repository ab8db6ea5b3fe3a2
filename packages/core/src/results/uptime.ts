import { DAY_MS } from '../config/duration.js';
import { VigilError } from '../errors/errors.js';
import type { RoleContext } from '../runtime/context.js';
import { type RedisKeys, utcDay } from '../runtime/keys.js';

const HOUR_MS = 3_600_000;

/** The longest window read (90 days), so the most days `readUptimeDays` serves. */
export const MAX_UPTIME_DAYS = 90;

/**
 * How long the evaluator keeps verdict buckets: a little longer than the longest window that reads
 * them (day buckets for 90 days, hour buckets for the 25 hours behind the 24 h window).
 */
export const VERDICT_BUCKET_TTL_S = { day: 100 * 86_400, hour: 49 * 3_600 } as const;

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

/** The day and hour buckets a round decided for `round` (epoch ms) is counted in. */
export function verdictBucketKeys(keys: RedisKeys, checkId: string, round: number): { day: string; hour: string } {
  return { day: keys.verdictDay(checkId, utcDay(round)), hour: keys.verdictHour(checkId, utcHour(round)) };
}

/**
 * Uptime over 24 h, 7 d, 30 d and 90 d from the evaluator's decided rounds, in one round trip.
 * 24 h reads the 25 hour buckets the window touches, the oldest (partial) hour wholly; the others read
 * day buckets, today included. Rounds never decided are absent: no data, not downtime.
 */
export async function readUptime(ctx: UptimeContext, checkId: string, now: number): Promise<UptimeReport> {
  const hours = Array.from({ length: 25 }, (_, i) => utcHour(now - (24 - i) * HOUR_MS));
  const days = lastDays(MAX_UPTIME_DAYS, now);
  const pipeline = ctx.redis.pipeline();
  for (const hour of hours) pipeline.hgetall(ctx.keys.verdictHour(checkId, hour));
  for (const day of days) pipeline.hgetall(ctx.keys.verdictDay(checkId, day));
  const counts = ((await pipeline.exec()) ?? []).map(([err, reply]) => {
    if (err) throw err;
    return toCounts(reply as Record<string, string>);
  });
  const dayCounts = counts.slice(hours.length);
  return {
    '24h': summarize('24h', counts.slice(0, hours.length)),
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
  const dayList = lastDays(days, now);
  const pipeline = ctx.redis.pipeline();
  for (const day of dayList) pipeline.hgetall(ctx.keys.verdictDay(checkId, day));
  const replies = (await pipeline.exec()) ?? [];
  return dayList.map((day, i) => {
    const [err, reply] = replies[i] ?? [null, {}];
    if (err) throw err;
    return { day, ...toCounts(reply as Record<string, string>) };
  });
}

type Counts = Omit<UptimeDayCounts, 'day'>;

function lastDays(days: number, now: number): string[] {
  return Array.from({ length: days }, (_, i) => utcDay(now - (days - 1 - i) * DAY_MS));
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
