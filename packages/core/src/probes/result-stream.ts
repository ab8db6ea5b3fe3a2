import type { RedisKeys } from '../runtime/keys.js';
import type { Redis } from '../runtime/redis.js';
import type { ResultJobData } from './probe-job.js';

/** The notifiers' consumer group on every result stream: each batch is recorded by one of them. */
export const RESULT_STREAM_GROUP = 'recorders';

/**
 * A safety cap (`XADD … MAXLEN ~`) on each result stream, in batches. Recorded batches are deleted as
 * they are acknowledged, so a stream holds only its backlog; the cap matters only when no notifier
 * has read for a long time, and then drops the oldest batches, whose rounds were decided without them.
 */
export const RESULT_STREAM_MAXLEN = 50_000;

/**
 * A batch as the fields of one stream entry: `n`, how many results, and `results`, their JSON array
 * (each `{ result, intervalMs }`, as the recorder validates it). One document a batch, readable with
 * `XRANGE`; a tuple encoding would save bytes Redis barely notices, per command, not per byte.
 */
export function encodeResultBatch(results: readonly ResultJobData[]): string[] {
  return ['n', String(results.length), 'results', JSON.stringify(results)];
}

/** The results of an entry's fields (`XREADGROUP`'s flat list), unvalidated: probers' output is input. */
export function decodeResultBatch(fields: readonly string[]): unknown {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'results') {
      try {
        return JSON.parse(fields[i + 1] ?? '');
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Result batches not yet recorded, over every shard's stream. */
export interface ResultBacklog {
  /** Batches no notifier has read yet. */
  waiting: number;
  /** Batches a notifier has read and not yet acknowledged (being recorded, or held by a crashed one). */
  pending: number;
}

/**
 * The results backlog: `XLEN` less the group's `XPENDING` count, per shard stream, summed. What
 * metrics and benches read where they counted the results queue's jobs; a missing stream or group
 * (no prober or notifier has started yet) counts as empty.
 */
export async function resultBacklog(
  redis: Redis,
  keys: Pick<RedisKeys, 'resultStream' | 'shards'>,
): Promise<ResultBacklog> {
  const pipeline = redis.pipeline();
  for (let shard = 0; shard < keys.shards; shard++) {
    pipeline.xlen(keys.resultStream(shard));
    pipeline.xpending(keys.resultStream(shard), RESULT_STREAM_GROUP);
  }
  const replies = (await pipeline.exec()) ?? [];
  const backlog: ResultBacklog = { waiting: 0, pending: 0 };
  for (let i = 0; i + 1 < replies.length; i += 2) {
    const [lenErr, length] = replies[i] ?? [];
    if (lenErr) throw lenErr;
    const [pendErr, summary] = replies[i + 1] ?? [];
    if (pendErr && !pendErr.message.includes('NOGROUP')) throw pendErr;
    const pending = pendErr ? 0 : Number((summary as unknown[] | null)?.[0] ?? 0);
    backlog.pending += pending;
    backlog.waiting += Math.max(0, Number(length ?? 0) - pending);
  }
  return backlog;
}
