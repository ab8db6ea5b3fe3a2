import { decodeResultBatch, type Logger, MAX_RESULT_BATCH, RESULT_STREAM_GROUP, type Redis } from '@vigil/core';
import { countDroppedResults } from '../notifier-metrics.js';

/** A result stream entry as XREADGROUP answers it; no fields: trimmed away while pending. */
export type StreamEntry = [id: string, fields: string[] | null];

/**
 * Results at most in one recording of entries read together: three vantages' full batches (a
 * prober's batch is at most 200 by default), so a slot's results from each are recorded side by side.
 */
export const MERGED_RESULTS = 600;

/** Entries recorded together: their ids, each one's batch as decoded, and all their results in order. */
export interface EntryGroup {
  ids: string[];
  batches: unknown[];
  results: unknown[];
  /** An entry that cannot be accepted (not an array of 1 to `MAX_RESULT_BATCH`): rejected on its own. */
  alone?: true;
}

/**
 * A stream's entries as recordings: consecutive valid entries merged up to `MERGED_RESULTS` results,
 * an invalid one alone (nothing merges into it: it would be held to a merged recording's limit), and
 * the ids of entries with nothing left to record (`gone`).
 */
export function groupEntries(entries: readonly StreamEntry[]): { groups: EntryGroup[]; gone: string[] } {
  const groups: EntryGroup[] = [];
  const gone: string[] = [];
  for (const [id, fields] of entries) {
    if (!fields) {
      gone.push(id);
      continue;
    }
    const batch = decodeResultBatch(fields);
    const last = groups.at(-1);
    if (!Array.isArray(batch) || batch.length === 0 || batch.length > MAX_RESULT_BATCH) {
      groups.push({ ids: [id], batches: [batch], results: batch as unknown[], alone: true });
    } else if (last && !last.alone && last.results.length + batch.length <= MERGED_RESULTS) {
      last.ids.push(id);
      last.batches.push(batch);
      last.results.push(...batch);
    } else groups.push({ ids: [id], batches: [batch], results: [...batch] });
  }
  return { groups, gone };
}

/** Two reads' entries joined, each stream's in the order read. */
export function joinReads(
  first: readonly [string, StreamEntry[]][],
  second: readonly [string, StreamEntry[]][],
): [string, StreamEntry[]][] {
  const byStream = new Map(first.map(([stream, entries]) => [stream, [...entries]]));
  for (const [stream, entries] of second) {
    const known = byStream.get(stream);
    if (known) known.push(...entries);
    else byStream.set(stream, [...entries]);
  }
  return [...byStream];
}

/**
 * Entries done with, deleted then acknowledged in one round trip (deleted first: an entry deleted but
 * not acknowledged is dropped from the pending list by the next take-over; the other way round it
 * would linger).
 */
export async function settleEntries(connection: Redis, stream: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const replies = await connection
    .pipeline()
    .xdel(stream, ...ids)
    .xack(stream, RESULT_STREAM_GROUP, ...ids)
    .exec();
  for (const [err] of replies ?? []) if (err) throw err;
}

/**
 * The entries taken over less those delivered more than `maxDeliveries` times (XPENDING's count,
 * which the take-over raised): those failed every time, so they are logged, deleted, acknowledged
 * and counted rather than retried forever.
 */
export async function withoutPoison(
  ctx: { connection: Redis; log: Logger },
  stream: string,
  maxDeliveries: number,
  entries: [string, string[]][],
): Promise<[string, string[]][]> {
  if (entries.length === 0) return entries;
  const pipeline = ctx.connection.pipeline();
  for (const [id] of entries) pipeline.xpending(stream, RESULT_STREAM_GROUP, id, id, 1);
  const replies = (await pipeline.exec()) ?? [];
  const poison: string[] = [];
  const live = entries.filter(([id], i) => {
    const [err, reply] = replies[i] ?? [];
    const deliveries = err ? 0 : Number((reply as [string, string, number, number][] | null)?.[0]?.[3] ?? 0);
    if (deliveries <= maxDeliveries) return true;
    poison.push(id);
    return false;
  });
  if (poison.length === 0) return live;
  for (const id of poison) {
    ctx.log.error(
      { stream, entry: id, deliveries: maxDeliveries },
      'result batch failed every delivery: dropped as poison',
    );
  }
  await settleEntries(ctx.connection, stream, poison);
  countDroppedResults('poison', poison.length);
  return live;
}
