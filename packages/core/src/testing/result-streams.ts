import type { Redis } from 'ioredis';
import type { ResultJobData } from '../probes/probe-job.js';
import { decodeResultBatch, encodeResultBatch } from '../probes/result-stream.js';
import type { RedisKeys } from '../runtime/keys.js';

/** The batches in every shard's result stream (recorded ones are deleted), oldest first within a stream. */
export async function resultBatchesIn(
  redis: Redis,
  keys: Pick<RedisKeys, 'resultStream' | 'shards'>,
): Promise<ResultJobData[][]> {
  const batches: ResultJobData[][] = [];
  for (let shard = 0; shard < keys.shards; shard++) {
    for (const [, fields] of await redis.xrange(keys.resultStream(shard), '-', '+')) {
      batches.push(decodeResultBatch(fields) as ResultJobData[]);
    }
  }
  return batches;
}

/**
 * Adds a batch to a shard's result stream as a prober does; `results` as given, unchecked, so a
 * test can send what a broken or hostile prober might. Answers the entry id.
 */
export async function addResultBatch(
  redis: Redis,
  keys: Pick<RedisKeys, 'resultStream'>,
  results: unknown,
  shard = 0,
): Promise<string> {
  const fields = Array.isArray(results)
    ? encodeResultBatch(results as ResultJobData[])
    : ['results', JSON.stringify(results)];
  return (await redis.xadd(keys.resultStream(shard), '*', ...fields)) ?? '';
}
