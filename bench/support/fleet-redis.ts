/**
 * What `pnpm bench fleet` reads of Redis: memory and CPU (INFO), the checks it registers, how far the
 * scheduler got, what waits in the queues, how many results were recorded, and what a check's
 * result keys weigh (MEMORY USAGE on a sample).
 */
import { type Check, CheckRegistry, probeQueueName, type Redis, RING_ENTRY_BITS, resultBacklog } from '@vigil/core';
import type { BenchRedis } from './redis.js';

export interface RedisInfo {
  usedMemory: number;
  rss: number;
  cpuMs: number;
}

/** Checks per pipeline when reading every check's keys. */
const CHUNK = 2_000;

export async function redisInfo(redis: Redis): Promise<RedisInfo> {
  const info = await redis.info();
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return {
    usedMemory: field('used_memory'),
    rss: field('used_memory_rss'),
    cpuMs: (field('used_cpu_user') + field('used_cpu_sys')) * 1000,
  };
}

/** `CheckRegistry.put` for every check, `parallel` at a time (their commands share round trips). */
export async function registerChecks(bench: BenchRedis, checks: readonly Check[], parallel: number): Promise<void> {
  const registry = new CheckRegistry({ redis: bench.redis, keys: bench.keys });
  for (let i = 0; i < checks.length; i += parallel) {
    await Promise.all(checks.slice(i, i + parallel).map((check) => registry.put(check)));
  }
}

/** Job schedulers the scheduler has upserted so far. */
export function schedulersApplied(bench: BenchRedis): Promise<number> {
  return bench.redis.hlen(bench.keys.schedulersApplied);
}

/** Waiting: probe jobs over every vantage's queue, and result batches not yet read from the result streams. */
export async function backlog(
  bench: BenchRedis,
  vantages: readonly string[],
): Promise<{ probes: number; results: number }> {
  const waiting = (queue: string) => bench.redis.llen(`${bench.keys.queuePrefix(queue)}:${queue}:wait`);
  const probes = await Promise.all(vantages.map((vantage) => waiting(probeQueueName(vantage))));
  return { probes: probes.reduce((a, b) => a + b, 0), results: (await resultBacklog(bench.redis, bench.keys)).waiting };
}

/**
 * Results recorded so far, over every check: the history rings' entries written (`~w` of each check's
 * latest hash: `written|cap|base|layout`, or `written` alone before).
 */
export async function recordedTotal(bench: BenchRedis, ids: readonly string[]): Promise<number> {
  let total = 0;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const pipeline = bench.redis.pipeline();
    for (const id of ids.slice(i, i + CHUNK)) pipeline.hget(bench.keys.latest(id), '~w');
    for (const [err, value] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      total += Number.parseInt(String(value ?? '0'), 10) || 0;
    }
  }
  return total;
}

export interface ResultKeysSample {
  checks: number;
  /** Sampled checks with at least one result so far. */
  probed: number;
  /** Mean history entries per check, and bytes per entry (MEMORY USAGE of the list ÷ its length). */
  historyEntries: number;
  bytesPerHistoryEntry: number;
  /** Mean bytes of a probed check's result and evaluation keys besides its history. */
  otherBytes: number;
}

/** MEMORY USAGE of the result keys of `ids` (a sample): the history ring, latest, state, verdict counts. */
export async function resultKeysSample(bench: BenchRedis, ids: readonly string[]): Promise<ResultKeysSample> {
  const { keys } = bench;
  const others = (id: string) => [
    keys.latest(id),
    keys.checkState(id),
    keys.verdictDayRing(id),
    keys.verdictHourRing(id),
    keys.verdictDays(id),
    keys.verdictHours(id),
  ];
  const pipeline = bench.redis.pipeline();
  for (const id of ids) {
    pipeline.strlen(keys.historyRing(id));
    pipeline.memory('USAGE', keys.historyRing(id), 'SAMPLES', 0);
    for (const key of others(id)) pipeline.memory('USAGE', key, 'SAMPLES', 0);
  }
  const replies = ((await pipeline.exec()) ?? []).map(([err, value]) => (err ? 0 : Number(value ?? 0)));
  const perCheck = 2 + others('x').length;
  const sums = { entries: 0, historyBytes: 0, otherBytes: 0, probed: 0 };
  for (let i = 0; i < replies.length; i += perCheck) {
    const entries = Math.floor(((replies[i] ?? 0) * 8) / RING_ENTRY_BITS);
    sums.entries += entries;
    sums.historyBytes += replies[i + 1] ?? 0;
    if (entries === 0) continue;
    sums.probed++;
    for (let j = i + 2; j < i + perCheck; j++) sums.otherBytes += replies[j] ?? 0;
  }
  return {
    checks: ids.length,
    probed: sums.probed,
    historyEntries: sums.entries / ids.length,
    bytesPerHistoryEntry: sums.entries > 0 ? sums.historyBytes / sums.entries : Number.NaN,
    otherBytes: sums.probed > 0 ? sums.otherBytes / sums.probed : Number.NaN,
  };
}
