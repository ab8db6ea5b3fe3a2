import type { Redis } from 'ioredis';
import type { ProbeResult } from '../probes/probe-result.js';
import type { RedisKeys } from '../runtime/keys.js';
import { groupByShard, utcDay } from '../runtime/keys.js';
import { defineScripts, type ScriptPipeline } from '../runtime/scripts.js';
import { decodeHistoryEntry, encodeHistoryEntry } from './history-entry.js';

export type RecordOutcome = 'duplicate' | 'latest' | 'late';
const OUTCOMES: RecordOutcome[] = ['duplicate', 'latest', 'late'];

/**
 * Per-vantage daily result counts are kept two days: yesterday's whole and today's so far. Uptime
 * (API, CLI, status page) reads the evaluator's verdict buckets, not these; at 100 days they cost a
 * check ~21 KB of Redis for nothing read (`pnpm bench footprint`).
 */
const UPTIME_TTL_S = 2 * 86_400;

export interface UptimeDay {
  day: string;
  ok: number;
  total: number;
}

/** The scripts of `lua/`, as commands. */
interface ResultCommands {
  /** How many keys, then per result its four keys; then the history cap, the uptime TTL and per result its eight arguments. */
  vigilRecordResults(numberOfKeys: number, ...keysThenArgs: (string | number | Buffer)[]): Promise<(0 | 1 | 2)[]>;
}

/** Latest result per check × vantage, a capped history of packed entries per check, and daily uptime buckets. */
export class ResultStore {
  private readonly redis: Redis & ResultCommands;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys; historySize?: number }) {
    this.redis = defineScripts<ResultCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  /**
   * Records a result unless this (check, vantage, round) was recorded already. Rounds are
   * remembered for a few intervals: longer than a prober may still deliver a late duplicate.
   */
  async record(result: ProbeResult, intervalMs: number): Promise<RecordOutcome> {
    const [outcome] = await this.recordMany([{ result, intervalMs }]);
    return outcome ?? 'duplicate';
  }

  /**
   * Records many results in one round trip, each exactly once; outcomes in the same order. The script
   * spans the checks of the batch, so it is called once per shard present (once on one Redis).
   */
  async recordMany(entries: readonly { result: ProbeResult; intervalMs: number }[]): Promise<RecordOutcome[]> {
    if (entries.length === 0) return [];
    const groups = groupByShard(this.ctx.keys, entries, (entry) => entry.result.checkId);
    if (groups.length === 1) {
      const replies = await this.redis.vigilRecordResults(...this.recordCall(entries));
      return replies.map((reply) => OUTCOMES[Number(reply)] ?? 'duplicate');
    }
    const pipeline = this.redis.pipeline() as ScriptPipeline<ResultCommands>;
    for (const group of groups) pipeline.vigilRecordResults(...this.recordCall(group.items));
    const replies = (await pipeline.exec()) ?? [];
    const outcomes: RecordOutcome[] = new Array(entries.length);
    groups.forEach((group, i) => {
      const [err, reply] = replies[i] ?? [new Error('no reply from Redis')];
      if (err) throw err;
      group.positions.forEach((position, j) => {
        outcomes[position] = OUTCOMES[Number((reply as unknown[])[j])] ?? 'duplicate';
      });
    });
    return outcomes;
  }

  /** The record script's arguments (number of keys, keys, then the rest) for results of one shard. */
  private recordCall(
    entries: readonly { result: ProbeResult; intervalMs: number }[],
  ): [number, ...(string | number | Buffer)[]] {
    const { keys } = this.ctx;
    const resultKeys: string[] = [];
    const args: (string | number | Buffer)[] = [this.ctx.historySize ?? 500, UPTIME_TTL_S];
    for (const { result, intervalMs } of entries) {
      const rememberMs = Math.max(intervalMs * 4, 60_000);
      resultKeys.push(
        keys.rounds(result.checkId),
        keys.latest(result.checkId),
        keys.history(result.checkId),
        keys.uptimeDay(result.checkId, utcDay(result.round)),
      );
      args.push(
        `${result.vantage}:${result.round}`,
        result.round,
        result.round - rememberMs,
        JSON.stringify(result),
        encodeHistoryEntry(result),
        result.vantage,
        result.ok ? 1 : 0,
        rememberMs * 2,
      );
    }
    return [resultKeys.length, ...resultKeys, ...args];
  }

  /** The latest result from each vantage that has reported. */
  async latest(checkId: string): Promise<Record<string, ProbeResult>> {
    return (await this.latestMany([checkId])).get(checkId) ?? {};
  }

  /** Latest results for many checks in one round trip. */
  async latestMany(checkIds: readonly string[]): Promise<Map<string, Record<string, ProbeResult>>> {
    const pipeline = this.ctx.redis.pipeline();
    for (const id of checkIds) pipeline.hgetall(this.ctx.keys.latest(id));
    const replies = (await pipeline.exec()) ?? [];
    const out = new Map<string, Record<string, ProbeResult>>();
    checkIds.forEach((id, i) => {
      const all = (replies[i]?.[1] ?? {}) as Record<string, string>;
      const byVantage: Record<string, ProbeResult> = {};
      for (const [field, json] of Object.entries(all)) {
        if (isVantageField(field)) byVantage[field] = JSON.parse(json) as ProbeResult;
      }
      out.set(id, byVantage);
    });
    return out;
  }

  /**
   * Newest first; optionally only one vantage's. Entries keep what history shows (see
   * history-entry.ts); JSON entries recorded before entries were packed read as they were written.
   */
  async history(checkId: string, options: { limit?: number; vantage?: string } = {}): Promise<ProbeResult[]> {
    const limit = options.limit ?? 100;
    // Without a vantage to filter by, the first `limit` entries are the answer: read only those.
    const last = options.vantage === undefined ? limit - 1 : -1;
    const [[, indexes], [, raw]] = (await this.ctx.redis
      .multi()
      .hgetall(this.ctx.keys.latest(checkId))
      .lrangeBuffer(this.ctx.keys.history(checkId), 0, last)
      .exec()) as [[unknown, Record<string, string>], [unknown, Buffer[]]];
    const vantages = vantageIndexes(indexes);
    const results: ProbeResult[] = [];
    for (const entry of raw) {
      const result = decodeHistoryEntry(checkId, entry, vantages);
      if (result === null) continue;
      if (options.vantage === undefined || result.vantage === options.vantage) results.push(result);
      if (results.length >= limit) break;
    }
    return results;
  }

  /** Daily ok/total counts (all vantages together) for the `days` days ending at `now`. */
  async uptimeDays(checkId: string, days: number, now: number): Promise<UptimeDay[]> {
    const dayList = Array.from({ length: days }, (_, i) => utcDay(now - (days - 1 - i) * 86_400_000));
    const pipeline = this.ctx.redis.pipeline();
    for (const day of dayList) pipeline.hgetall(this.ctx.keys.uptimeDay(checkId, day));
    const replies = (await pipeline.exec()) ?? [];
    return dayList.map((day, i) => {
      const counts = (replies[i]?.[1] ?? {}) as Record<string, string>;
      let ok = 0;
      let total = 0;
      for (const [field, count] of Object.entries(counts)) {
        if (field.endsWith(':ok')) ok += Number(count);
        else if (field.endsWith(':total')) total += Number(count);
      }
      return { day, ok, total };
    });
  }
}

/** Whether a field of a latest hash names a vantage (holding its latest result), not bookkeeping. */
function isVantageField(field: string): boolean {
  return !field.endsWith(':round') && !field.endsWith(':i') && field !== '~n';
}

/** index → vantage, from the `<vantage>:i` fields of a latest hash. */
function vantageIndexes(latest: Record<string, string>): Map<number, string> {
  const out = new Map<number, string>();
  for (const [field, value] of Object.entries(latest)) {
    if (field.endsWith(':i')) out.set(Number(value), field.slice(0, -2));
  }
  return out;
}
