import { type Redis, ReplyError } from 'ioredis';
import type { ProbeResult } from '../probes/probe-result.js';
import type { RedisKeys } from '../runtime/keys.js';
import { defineScripts, type ScriptPipeline } from '../runtime/scripts.js';
import { LATENCY_ROLLUP_TTL_MS, type LatencyAggregate, type LatencyPhase } from './latency-rollup.js';

type Reply = [error: Error | null, result: unknown];

interface RollupCommands {
  vigilMergeLatencyRollups(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
}

/** Keys a merge script call spans at most: a flush of 10,000 checks is 20 calls, none long. */
export const LATENCY_MERGE_CHUNK = 500;

/**
 * Script calls a merge pipeline carries at most (8,000 checks): a flush of 1,000,000 checks is ~125
 * pipelines, each answered before the next is built, so the notifier holds one pipeline's arguments
 * at a time rather than all, and other clients' commands pass between them in Redis.
 */
export const LATENCY_MERGE_PIPELINE = 16;

/** One check's aggregates as the merge script reads them: its id, and its lines (`latencyLine`) joined. */
export type LatencyLines = readonly [checkId: string, lines: string];

export interface LatencyMergeOptions {
  /** Checks a script call spans at most; LATENCY_MERGE_CHUNK unless said. */
  checksPerCall?: number;
  /** Script calls a pipeline carries at most; LATENCY_MERGE_PIPELINE unless said. */
  callsPerPipeline?: number;
}

/** One script call: checks of one shard, and each one's lines. */
interface Call {
  ids: string[];
  lines: string[];
}

/** What a merge's calls answered, over all its pipelines; `first` the first error met. */
interface Tally {
  merged: number;
  failed: string[];
  unknown: string[];
  first?: Error;
}

/** Merges aggregates into the checks' rollups: one script call per shard and up to 500 checks, 16 calls a pipeline. */
export class LatencyRollups {
  private readonly redis: Redis & RollupCommands;
  private readonly checksPerCall: number;
  private readonly callsPerPipeline: number;

  constructor(
    private readonly ctx: { redis: Redis; keys: RedisKeys },
    options: LatencyMergeOptions = {},
  ) {
    this.redis = defineScripts<RollupCommands>(ctx.redis, new URL('./lua/', import.meta.url));
    this.checksPerCall = Math.max(1, options.checksPerCall ?? LATENCY_MERGE_CHUNK);
    this.callsPerPipeline = Math.max(1, options.callsPerPipeline ?? LATENCY_MERGE_PIPELINE);
  }

  /**
   * Merges every aggregate; answers how many landed in a tier (those older than 7 d are dropped).
   * When some calls fail it throws a LatencyMergeError naming the checks of the failed calls only:
   * the other calls' merges stand, so a caller retrying must put back just those, never the lot (a
   * merge is additive: merged twice is counted twice). A pipeline rejected as a whole names its
   * calls' checks unknown.
   */
  merge(aggregates: readonly LatencyAggregate[]): Promise<number> {
    const byCheck = new Map<string, string>();
    for (const a of aggregates) {
      const line = latencyLine(a);
      if (line !== '') byCheck.set(a.checkId, (byCheck.get(a.checkId) ?? '') + line);
    }
    return this.mergeLines(byCheck);
  }

  /**
   * Merges each check's lines (a check once), reading them as it goes: calls of up to 500 checks of a
   * shard, 16 a pipeline, each pipeline answered before more lines are read, so a caller can build
   * the lines lazily and a flush of 1,000,000 checks holds one pipeline's worth at a time. With more
   * shards than that fills (a cluster's `?shards=` in the thousands), calls still filling are sent
   * once they hold a pipeline's worth of checks between them. Answers and throws as `merge`, over all
   * the pipelines.
   */
  async mergeLines(checks: Iterable<LatencyLines>): Promise<number> {
    const tally: Tally = { merged: 0, failed: [], unknown: [] };
    const filling = new Map<number, Call>();
    let ready: Call[] = [];
    let held = 0;
    for (const [checkId, lines] of checks) {
      if (lines === '') continue;
      const shard = this.ctx.keys.shardOf(checkId);
      const call = filling.get(shard) ?? { ids: [], lines: [] };
      filling.set(shard, call);
      call.ids.push(checkId);
      call.lines.push(lines);
      held++;
      if (call.ids.length >= this.checksPerCall) {
        filling.delete(shard);
        held -= call.ids.length;
        ready.push(call);
      }
      if (ready.length < this.callsPerPipeline && held < this.checksPerCall * this.callsPerPipeline) continue;
      if (ready.length < this.callsPerPipeline) {
        // Many shards, none filling a call: what they hold goes, as calls not yet full.
        ready.push(...filling.values());
        filling.clear();
        held = 0;
      }
      for (let i = 0; i < ready.length; i += this.callsPerPipeline) {
        await this.send(ready.slice(i, i + this.callsPerPipeline), tally);
      }
      ready = [];
    }
    ready.push(...filling.values());
    for (let i = 0; i < ready.length; i += this.callsPerPipeline) {
      await this.send(ready.slice(i, i + this.callsPerPipeline), tally);
    }
    const { first, ...parts } = tally;
    if (first) throw new LatencyMergeError(first, parts);
    return tally.merged;
  }

  /** Sends calls in one pipeline and adds their answers to the tally. */
  private async send(calls: readonly Call[], tally: Tally): Promise<void> {
    const { keys } = this.ctx;
    const pipeline = this.redis.pipeline() as ScriptPipeline<RollupCommands>;
    for (const { ids, lines } of calls) {
      const rollups = ids.map((id) => keys.latencyRollup(id));
      pipeline.vigilMergeLatencyRollups(ids.length, ...rollups, LATENCY_ROLLUP_TTL_MS, ...lines);
    }
    // A client closed for good (status `end`) sends nothing: every call is known not to have landed.
    const neverSent = this.redis.status === 'end';
    // A pipeline rejected as a whole (a Cluster whose nodes are not ready) answers each call with its error.
    const replies = await pipeline.exec().catch((err: Error) => calls.map((): Reply => [err, null]));
    calls.forEach(({ ids }, i) => {
      const [err, reply] = replies?.[i] ?? [new Error('no reply from Redis'), null];
      if (!err) {
        tally.merged += Number(reply);
        return;
      }
      tally.first ??= err;
      // An error reply is Redis refusing the call (OOM, a busy script, a key of another type: the
      // script reads every key before it writes one, so nothing of the call was merged); any other
      // error is a connection lost with the call in flight, or a pipeline refused whole: it may have landed.
      (neverSent || err instanceof ReplyError ? tally.failed : tally.unknown).push(...ids);
    });
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

/**
 * One aggregate as a line of its check's argument to the merge script; '' for one the script could
 * not read (a vantage holding a tab or a newline) or that holds no sample.
 */
export function latencyLine(a: Omit<LatencyAggregate, 'checkId'>): string {
  if (/[\t\n]/.test(a.vantage) || a.samples <= 0) return '';
  const m = a.means;
  return `${a.vantage}\t${a.bucket}\t${a.samples}\t${a.failures}\t${ms(m.total)}\t${ms(m.dns)}\t${ms(m.connect)}\t${ms(m.tls)}\t${ms(m.firstByte)}\n`;
}

function ms(value: number): string {
  return Number.isFinite(value) && value > 0 ? String(Math.round(value * 100) / 100) : '0';
}
