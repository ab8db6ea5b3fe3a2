import { decodeResultBatch, type Logger, MAX_RESULT_BATCH, RESULT_STREAM_GROUP, type Redis } from '@vigil/core';
import { countDroppedResults } from '../notifier-metrics.js';

/** A result stream entry as XREADGROUP answers it; no fields: trimmed away while pending. */
export type StreamEntry = [id: string, fields: string[] | null];

/**
 * Results at most in one recording of entries read together: three vantages' full batches (a
 * prober's batch is at most 200 by default), so a slot's results from each are recorded side by side.
 */
export const MERGED_RESULTS = 600;

/**
 * One recording: the entries whose results it holds (all of an entry's, or, when entries read
 * together held more than `MERGED_RESULTS`, those of the checks that fell in it), each entry's part
 * of them (entries in the order read, a check's results in the order read: tried entry by entry when
 * the recording fails), and its results.
 */
export interface EntryGroup {
  ids: string[];
  parts: unknown[][];
  results: unknown[];
  /** An entry that cannot be accepted (not an array of 1 to `MAX_RESULT_BATCH`): rejected on its own. */
  alone?: true;
  /** Its first check's results began in the recording before (a check with more than `MERGED_RESULTS`): recorded after it. */
  continues?: true;
}

/** The check a decoded result names ('' when it names none: such a result is rejected when recorded). */
function checkOf(data: unknown): string {
  const checkId = (data as { result?: { checkId?: unknown } } | null)?.result?.checkId;
  return typeof checkId === 'string' ? checkId : '';
}

/**
 * A stream's entries as recordings, and the ids of entries with nothing left to record (`gone`). An
 * invalid entry is recorded alone (nothing merges into it: it would be held to a merged recording's
 * limit). The valid ones are recorded together when their results fit one recording; when they hold
 * more, their results are cut by check, each check's in one recording, in order (consecutive up to
 * `MERGED_RESULTS`): cut by entry, a slot of 202 checks batched 200 + 2 by each of three probers read
 * as 200, 2, 200, 2, 200, 2 put the third vantage's round in a recording of its own (measured in the
 * fleet bench: two of a round's three results recorded together, where one check's all three cost
 * Redis one HMGET, SETRANGE and HSET).
 */
export function groupEntries(entries: readonly StreamEntry[]): { groups: EntryGroup[]; gone: string[] } {
  const groups: EntryGroup[] = [];
  const gone: string[] = [];
  const valid: { id: string; batch: unknown[] }[] = [];
  for (const [id, fields] of entries) {
    if (!fields) {
      gone.push(id);
      continue;
    }
    const batch = decodeResultBatch(fields);
    if (!Array.isArray(batch) || batch.length === 0 || batch.length > MAX_RESULT_BATCH) {
      groups.push({ ids: [id], parts: [batch as unknown[]], results: batch as unknown[], alone: true });
    } else valid.push({ id, batch });
  }
  const total = valid.reduce((sum, { batch }) => sum + batch.length, 0);
  if (valid.length > 0 && total <= MERGED_RESULTS) {
    groups.push({
      ids: valid.map(({ id }) => id),
      parts: valid.map(({ batch }) => batch),
      results: valid.flatMap(({ batch }) => batch),
    });
  } else if (valid.length > 0) groups.push(...byCheck(valid));
  return { groups, gone };
}

/**
 * The results of `valid` entries as recordings of at most `MERGED_RESULTS`, each check's results in
 * one (a check with more than that, never seen from probers, is cut too: the next recording
 * `continues` it), in the order read within a check; checks in order of their ids.
 */
function byCheck(valid: readonly { id: string; batch: unknown[] }[]): EntryGroup[] {
  const all = valid.flatMap(({ batch }, entry) => batch.map((data) => ({ data, entry, check: checkOf(data) })));
  // Array.prototype.sort is stable: each check's results keep the order read (a vantage's rounds in turn).
  all.sort((a, b) => (a.check < b.check ? -1 : a.check > b.check ? 1 : 0));
  const groups: EntryGroup[] = [];
  let from = 0;
  while (from < all.length) {
    let to = Math.min(all.length, from + MERGED_RESULTS);
    // Back to the start of the check cut at `to`, unless that check alone fills the recording.
    if (to < all.length) {
      let start = to;
      while (start > from && all[start - 1]?.check === all[to]?.check) start--;
      if (start > from) to = start;
    }
    const taken = all.slice(from, to);
    const parts = new Map<number, unknown[]>();
    for (const { data, entry } of [...taken].sort((a, b) => a.entry - b.entry)) {
      const part = parts.get(entry);
      if (part) part.push(data);
      else parts.set(entry, [data]);
    }
    groups.push({
      ids: [...parts.keys()].map((entry) => valid[entry]?.id ?? ''),
      parts: [...parts.values()],
      results: taken.map(({ data }) => data),
      ...(from > 0 && all[from - 1]?.check === all[from]?.check && { continues: true as const }),
    });
    from = to;
  }
  return groups;
}

/**
 * Records `groups` with `record` (false: not recorded) and returns the ids of the entries done: an
 * entry is done once every part of its results is recorded. A recording continuing the check the one
 * before it holds waits for it (a vantage's rounds in turn), and is not tried once that one failed.
 * A failed recording's parts are tried entry by entry, after the rest (a check's results are never
 * recorded by two calls at once), in the order recordings and entries were read: an entry that cannot
 * be recorded (a malformed stored value of one check) does not hold back, nor at last drop as poison,
 * the others it was recorded with. A recording of one part is not tried again: it would be the same call.
 */
export async function recordGroups(
  groups: readonly EntryGroup[],
  record: (group: Pick<EntryGroup, 'ids' | 'results'>) => Promise<boolean>,
): Promise<string[]> {
  let last: Promise<boolean> = Promise.resolve(true);
  const recorded = await Promise.all(
    groups.map((group) => {
      const previous = last;
      last = group.continues ? previous.then((ok) => ok && record(group)) : record(group);
      return last;
    }),
  );
  const failed = new Set<string>();
  for (const [g, group] of groups.entries()) {
    if (recorded[g]) continue;
    for (const [i, id] of group.ids.entries()) {
      const part = group.parts[i];
      if (group.parts.length > 1 && part && (await record({ ids: [id], results: part }))) continue;
      failed.add(id);
    }
  }
  return [...new Set(groups.flatMap(({ ids }) => ids).filter((id) => !failed.has(id)))];
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
