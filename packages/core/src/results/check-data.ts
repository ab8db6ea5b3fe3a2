import type { Redis } from 'ioredis';
import { DAY_MS } from '../config/duration.js';
import { type RedisKeys, utcDay } from '../runtime/keys.js';
import { defineScripts } from '../runtime/scripts.js';
import { MAX_UPTIME_DAYS, utcHour } from './uptime.js';

const HOUR_MS = 3_600_000;

/** The scripts of `lua/`, as commands. */
interface ForgetCommands {
  vigilForgetCheckData(
    numberOfKeys: number,
    pending: string,
    transitions: string,
    addressTransitions: string,
    latest: string,
    /** The check's other keys, then its id. */
    ...keysThenId: string[]
  ): Promise<number>;
}

/**
 * Every key holding one check's results and evaluation (latest and round books, messages, history, state,
 * verdicts, latency, addresses), the `latest` hash first; a new per-check key family is one line
 * here. Dated buckets no longer written are listed for the periods a reader still looks at from `now`.
 * All share the check's hash tag. Heartbeat pings live elsewhere (HeartbeatStore.forget).
 */
export function checkDataKeys(keys: RedisKeys, checkId: string, now: number): string[] {
  const days = Array.from({ length: MAX_UPTIME_DAYS + 1 }, (_, i) => utcDay(now - i * DAY_MS));
  const hours = Array.from({ length: 26 }, (_, i) => utcHour(now - i * HOUR_MS));
  return [
    ...undatedKeys(keys, checkId),
    ...days.slice(0, 3).map((day) => keys.uptimeDay(checkId, day)),
    ...days.map((day) => keys.verdictDay(checkId, day)),
    ...hours.map((hour) => keys.verdictHour(checkId, hour)),
  ];
}

/**
 * Of `checkIds`, those holding any key of a family written today (one EXISTS a check, pipelined):
 * what a result or round recorded after its check's delete leaves. Dated buckets no longer written
 * are left out: only a version before them wrote them, and its delete forgot them.
 */
export async function leftoverIds(
  ctx: { redis: Redis; keys: RedisKeys },
  checkIds: readonly string[],
): Promise<string[]> {
  if (checkIds.length === 0) return [];
  const pipeline = ctx.redis.pipeline();
  for (const id of checkIds) pipeline.exists(...undatedKeys(ctx.keys, id));
  const counts = (await pipeline.exec()) ?? [];
  return checkIds.filter((_, i) => {
    const [error, count] = counts[i] ?? [null, 0];
    if (error) throw error;
    return Number(count) > 0;
  });
}

function undatedKeys(keys: RedisKeys, checkId: string): string[] {
  return [
    keys.latest(checkId),
    keys.latestMessages(checkId),
    keys.historyRing(checkId),
    keys.history(checkId),
    keys.latencyRollup(checkId),
    keys.checkState(checkId),
    keys.addressStates(checkId),
    keys.verdictDayRing(checkId),
    keys.verdictHourRing(checkId),
    keys.verdictDays(checkId),
    keys.verdictHours(checkId),
  ];
}

/**
 * Forgets a deleted check's results and evaluation in one script on its slot: its keys, and its
 * pending rounds and outbox entries in its shard's keys (its probe targets, kept per vantage, the
 * scheduler removes at its next reconcile, once no slot names the check). Ids are global and reusable, so without
 * this a check created later with the id (by another owner too) would show the old one's results.
 * Answers how many of its keys existed.
 */
export async function forgetCheckData(
  ctx: { redis: Redis; keys: RedisKeys },
  checkId: string,
  now: number,
): Promise<number> {
  const { keys } = ctx;
  const redis = defineScripts<ForgetCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  const shard = keys.shardOf(checkId);
  const [latest = '', ...rest] = checkDataKeys(keys, checkId, now);
  const shardKeys = [keys.pendingRounds(shard), keys.transitions(shard), keys.addressTransitions(shard)] as const;
  return redis.vigilForgetCheckData(shardKeys.length + 1 + rest.length, ...shardKeys, latest, ...rest, checkId);
}
