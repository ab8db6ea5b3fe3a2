import { type Redis, ReplyError } from 'ioredis';
import type { ProbeResult } from '../probes/probe-result.js';
import type { RedisKeys } from '../runtime/keys.js';
import { groupByShard } from '../runtime/keys.js';
import { defineScripts, type ScriptPipeline } from '../runtime/scripts.js';
import { LATENCY_ROLLUP_TTL_MS, type LatencyAggregate, type LatencyPhase } from './latency-rollup.js';

interface RollupCommands {
  vigilMergeLatencyRollups(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
}

/** Keys a merge script call spans at most: a flush of 10,000 checks is 20 calls, none long. */
export const LATENCY_MERGE_CHUNK = 500;

/** Merges aggregates into the checks' rollups: one script call per shard and up to 500 checks. */
export class LatencyRollups {
  private readonly redis: Redis & RollupCommands;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys }) {
    this.redis = defineScripts<RollupCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  /**
   * Merges every aggregate; answers how many landed in a tier (those older than 7 d are dropped).
   * When some calls fail it throws a LatencyMergeError naming the checks of the failed calls only:
   * the other calls' merges stand, so a caller retrying must put back just those, never the lot (a
   * merge is additive: merged twice is counted twice). A rejected `exec` throws as it was.
   */
  async merge(aggregates: readonly LatencyAggregate[]): Promise<number> {
    const byCheck = new Map<string, string>();
    for (const a of aggregates) {
      if (/[\t\n]/.test(a.vantage) || a.samples <= 0) continue;
      const m = a.means;
      const line = `${a.vantage}\t${a.bucket}\t${a.samples}\t${a.failures}\t${ms(m.total)}\t${ms(m.dns)}\t${ms(m.connect)}\t${ms(m.tls)}\t${ms(m.firstByte)}\n`;
      byCheck.set(a.checkId, (byCheck.get(a.checkId) ?? '') + line);
    }
    if (byCheck.size === 0) return 0;
    const { keys } = this.ctx;
    const pipeline = this.redis.pipeline() as ScriptPipeline<RollupCommands>;
    const calls: string[][] = [];
    for (const group of groupByShard(keys, [...byCheck.keys()], (id) => id)) {
      for (let i = 0; i < group.items.length; i += LATENCY_MERGE_CHUNK) {
        const ids = group.items.slice(i, i + LATENCY_MERGE_CHUNK);
        calls.push(ids);
        pipeline.vigilMergeLatencyRollups(
          ids.length,
          ...ids.map((id) => keys.latencyRollup(id)),
          LATENCY_ROLLUP_TTL_MS,
          ...ids.map((id) => byCheck.get(id) ?? ''),
        );
      }
    }
    // A client closed for good (status `end`) sends nothing: every call is known not to have landed.
    const neverSent = this.redis.status === 'end';
    const replies = (await pipeline.exec()) ?? [];
    let merged = 0;
    const failed: string[] = [];
    const unknown: string[] = [];
    let first: Error | undefined;
    replies.forEach(([err, reply], i) => {
      if (!err) {
        merged += Number(reply);
        return;
      }
      first ??= err;
      // An error reply is Redis refusing the call (OOM, a busy script, a key of another type: the
      // keys before such a key in the call are merged, a rare case left at that); any other error
      // is a connection lost with the call in flight: it may have landed.
      (neverSent || err instanceof ReplyError ? failed : unknown).push(...(calls[i] ?? []));
    });
    if (first) throw new LatencyMergeError(first, { merged, failed, unknown });
    return merged;
  }
}

/** Some of a merge's calls failed: the checks of those, apart; every other check's merge landed. */
export class LatencyMergeError extends Error {
  /** Aggregates merged by the calls that succeeded. */
  readonly merged: number;
  /** Checks whose call Redis refused: nothing of theirs was merged. */
  readonly failed: readonly string[];
  /** Checks whose call was lost with the connection: merged or not, nobody knows. */
  readonly unknown: readonly string[];

  constructor(cause: Error, parts: { merged: number; failed: string[]; unknown: string[] }) {
    super(`latency merge: ${parts.failed.length + parts.unknown.length} checks not merged: ${cause.message}`, {
      cause,
    });
    this.name = 'LatencyMergeError';
    this.merged = parts.merged;
    this.failed = parts.failed;
    this.unknown = parts.unknown;
  }
}

/** What a result adds to its bucket's sums: the phases of a successful one, 0 for a phase it lacks. */
export function latencyOf(result: ProbeResult): Record<LatencyPhase, number> {
  const t = result.timings;
  return { total: t.total, dns: t.dns ?? 0, connect: t.connect ?? 0, tls: t.tls ?? 0, firstByte: t.firstByte ?? 0 };
}

function ms(value: number): string {
  return Number.isFinite(value) && value > 0 ? String(Math.round(value * 100) / 100) : '0';
}
