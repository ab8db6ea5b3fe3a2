import type { Redis } from 'ioredis';
import type { ProbeResult } from '../probes/probe-result.js';
import type { RedisKeys } from '../runtime/keys.js';
import { groupByShard, type ShardGroup, scatterReplies } from '../runtime/keys.js';
import { defineScripts, type ScriptPipeline } from '../runtime/scripts.js';
import { decodeHistoryEntry } from './history-entry.js';
import {
  historyMessage,
  MAX_VANTAGE_INDEX,
  RING_LAYOUT,
  type RingForm,
  type RingInfo,
  readRing,
  ringOutcome,
} from './history-ring.js';
import { decodeLatest, encodeLatest, hasMessageApart } from './latest-result.js';

export type RecordOutcome = 'duplicate' | 'latest' | 'late';
const OUTCOMES: RecordOutcome[] = ['duplicate', 'latest', 'late'];

/** The folder of the results scripts, for the notifier's round book (add-round-outcomes.lua). */
export const RESULT_SCRIPTS = new URL('./lua/', import.meta.url);

/** What the evaluator books with a result for its round: its round outcome as JSON, the round's deadline, vantages expected. */
export interface RoundBooking {
  outcome: string;
  deadline: number;
  expected: number;
}

/**
 * What booking came to: the round was decided already, waits for more vantages, or was completed
 * (and claimed) by this result, with the round's book (`\n<vantage>\t<outcome JSON>…`).
 */
export type BookReply = 'late' | 'waiting' | { book: string };

/** A result to record, with what to book for its round (none: record it only). */
export interface ResultToRecord {
  result: ProbeResult;
  intervalMs: number;
  booking?: RoundBooking;
}

/** The scripts of `lua/`, as commands. */
interface ResultCommands {
  /**
   * How many keys, the shard's pending rounds, then per result its five keys; then the history cap
   * and per result two arguments: its tab-ended fields then message, and its latest value (then a
   * newline and its message, when kept apart).
   */
  vigilRecordResults(
    numberOfKeys: number,
    ...keysThenArgs: (string | number)[]
  ): Promise<(number | [number, string])[]>;
}

/**
 * Latest result per check × vantage and a history ring of fixed entries per check: two keys a check
 * (`latest` holds the bookkeeping), and a third for a check with messages (`latestMessages`: the
 * history's, and latest ones too long for the latest hash). Uptime is the evaluator's verdict counts (uptime.ts), not these.
 */
export class ResultStore {
  private readonly redis: Redis & ResultCommands;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys; historySize?: number }) {
    this.redis = defineScripts<ResultCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  private get historySize(): number {
    return this.ctx.historySize ?? 500;
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
    return (await this.recordAndBook(entries)).map(({ recorded }) => recorded);
  }

  /**
   * Records many results as `recordMany` does and, in the same script, books the round outcome of
   * each one given a booking (a duplicate is not booked): the evaluator's round book, a field of
   * the check's latest hash, so recording and booking a result share their reads and writes.
   */
  async recordAndBook(entries: readonly ResultToRecord[]): Promise<{ recorded: RecordOutcome; booked?: BookReply }[]> {
    if (entries.length === 0) return [];
    const groups = groupByShard(this.ctx.keys, entries, (entry) => entry.result.checkId).map(byCheck);
    const [only] = groups;
    const replies: [Error | null, unknown][] =
      groups.length === 1 && only
        ? [[null, await this.redis.vigilRecordResults(...this.recordCall(only.items))]]
        : await this.pipelined(groups);
    const answers = scatterReplies(groups, replies, (answer) => (answer ?? 0) as number | [number, string]);
    return parseReplies(entries, answers);
  }

  private async pipelined(groups: readonly ShardGroup<ResultToRecord>[]): Promise<[Error | null, unknown][]> {
    const pipeline = this.redis.pipeline() as ScriptPipeline<ResultCommands>;
    for (const group of groups) pipeline.vigilRecordResults(...this.recordCall(group.items));
    return (await pipeline.exec()) ?? [];
  }

  private recordCall(entries: readonly ResultToRecord[]): [number, ...(string | number)[]] {
    return recordResultsCall(this.ctx.keys, this.historySize, entries);
  }

  /** The latest result from each vantage that has reported. */
  async latest(checkId: string): Promise<Record<string, ProbeResult>> {
    return (await this.latestMany([checkId])).get(checkId) ?? {};
  }

  /**
   * Latest results for many checks in one round trip; a second one only for checks with a latest
   * message kept apart (a failing result's long message).
   */
  async latestMany(checkIds: readonly string[]): Promise<Map<string, Record<string, ProbeResult>>> {
    const { redis, keys } = this.ctx;
    const pipeline = redis.pipeline();
    for (const id of checkIds) pipeline.hgetall(keys.latest(id));
    const replies = (await pipeline.exec()) ?? [];
    const hashes = checkIds.map((_, i) => (replies[i]?.[1] ?? {}) as Record<string, string>);
    const apart = checkIds.flatMap((checkId, i) => {
      const vantages = Object.entries(hashes[i] ?? {})
        .filter(([field, value]) => isVantageField(field) && hasMessageApart(value))
        .map(([field]) => field);
      return vantages.length === 0 ? [] : [{ checkId, vantages }];
    });
    const messages = new Map<string, Map<string, string>>();
    if (apart.length > 0) {
      const reads = redis.pipeline();
      for (const { checkId, vantages } of apart) reads.hmget(keys.latestMessages(checkId), ...vantages);
      const held = (await reads.exec()) ?? [];
      apart.forEach(({ checkId, vantages }, i) => {
        const texts = (held[i]?.[1] ?? []) as (string | null)[];
        messages.set(checkId, new Map(vantages.flatMap((v, j) => (texts[j] == null ? [] : [[v, texts[j]]]))));
      });
    }
    const out = new Map<string, Record<string, ProbeResult>>();
    checkIds.forEach((checkId, i) => {
      const all = hashes[i] ?? {};
      const byVantage: Record<string, ProbeResult> = {};
      for (const [vantage, value] of Object.entries(all)) {
        if (!isVantageField(vantage)) continue;
        const message = messages.get(checkId)?.get(vantage);
        byVantage[vantage] = decodeLatest(value, { checkId, vantage, round: latestRoundOf(all, vantage), message });
      }
      out.set(checkId, byVantage);
    });
    return out;
  }

  /**
   * Newest first; optionally only one vantage's. Entries keep what history shows (see
   * history-ring.ts); entries recorded before the ring (packed or JSON, in the list) follow the
   * ring's until it is full. Vantages past the ring's 15 indexes keep their results in the list
   * whether or not the ring is full: those are merged in by round.
   */
  async history(checkId: string, options: { limit?: number; vantage?: string } = {}): Promise<ProbeResult[]> {
    const limit = options.limit ?? 100;
    const [[, latest], [, ring], [, listed], [, messages]] = (await this.ctx.redis
      .multi()
      .hgetall(this.ctx.keys.latest(checkId))
      .getBuffer(this.ctx.keys.historyRing(checkId))
      .lrangeBuffer(this.ctx.keys.history(checkId), 0, -1)
      .hgetall(this.ctx.keys.latestMessages(checkId))
      .exec()) as [
      [unknown, Record<string, string>],
      [unknown, Buffer | null],
      [unknown, Buffer[]],
      [unknown, Record<string, string>],
    ];
    // Message slots written before the messages hash are in the latest hash; the messages hash's are newer.
    const info = ringInfo({ ...latest, ...messageSlots(messages) });
    const beyondRing = new Set(
      [...info.vantages].filter(([index]) => index > MAX_VANTAGE_INDEX).map(([, name]) => name),
    );
    const wanted = (result: ProbeResult | null): result is ProbeResult =>
      result !== null && (options.vantage === undefined || result.vantage === options.vantage);
    const beforeRing: ProbeResult[] = [];
    const overflow: ProbeResult[] = [];
    for (const entry of listed) {
      const result = decodeHistoryEntry(checkId, entry, info.vantages);
      if (result !== null && beyondRing.has(result.vantage)) overflow.push(result);
      else beforeRing.push(...(result === null ? [] : [result]));
    }
    const before = Math.max(0, this.historySize - Math.min(info.written, info.cap));
    const ringFirst = [
      ...(ring === null ? [] : readRing(checkId, ring, info, info.cap)),
      ...beforeRing.slice(0, before),
    ];
    return mergeNewestFirst(ringFirst.filter(wanted), overflow.filter(wanted), limit);
  }
}

/**
 * A shard's results with each check's together, checks in the order first met and each check's in
 * the caller's order: record-results.lua records a check's side-by-side results of different
 * vantages with one read and one write. Results of different checks touch different keys (but
 * the shard's pending rounds, a set), so only a check's own order matters, and it is kept.
 */
function byCheck(group: ShardGroup<ResultToRecord>): ShardGroup<ResultToRecord> {
  const byId = new Map<string, number[]>();
  group.items.forEach((entry, i) => {
    const list = byId.get(entry.result.checkId);
    if (list) list.push(i);
    else byId.set(entry.result.checkId, [i]);
  });
  if (byId.size === group.items.length) return group;
  const order = [...byId.values()].flat();
  return {
    shard: group.shard,
    items: order.map((i) => group.items[i] as ResultToRecord),
    positions: order.map((i) => group.positions[i] as number),
  };
}

/**
 * The record script's arguments (number of keys, keys, then the rest) for results of one shard:
 * two a result, in record-results.lua's order: its fields joined in one string (the message, which
 * may hold a tab, last) and its latest value (with its message after a newline when kept apart).
 * Fewer arguments for ioredis to send, and no Buffer. Exported for the A/B bench of the script.
 */
export function recordResultsCall(
  keys: RedisKeys,
  historySize: number,
  entries: readonly ResultToRecord[],
): [number, ...(string | number)[]] {
  const resultKeys: string[] = [keys.pendingRounds(keys.shardOf(entries[0]?.result.checkId ?? ''))];
  const args: (string | number)[] = [historySize, keySuffixes(keys)];
  for (const { result, intervalMs, booking } of entries) {
    const { checkId, vantage } = result;
    const rememberMs = Math.max(intervalMs * 4, 60_000);
    // The ring's newest entries a late result's duplicate can be among: every vantage's rounds of the window.
    const look = Math.min(historySize, MAX_VANTAGE_INDEX * (Math.ceil(rememberMs / intervalMs) + 1));
    const book = booking
      ? `${booking.deadline}\t${booking.expected}\t${checkId}|${result.round}\t${booking.outcome}`
      : '0\t0\t\t';
    resultKeys.push(keys.latest(checkId), keys.historyRing(checkId));
    const latest = encodeLatest(result);
    args.push(
      `${vantage}\t${result.round}\t${rememberMs}\t${look}\t${ringOutcome(result)}\t${book}\t${historyMessage(result)}`,
      latest.message === undefined ? latest.value : `${latest.value}\n${latest.message}`,
    );
  }
  return [resultKeys.length, ...resultKeys, ...args];
}

const suffixes = new WeakMap<RedisKeys, string>();

/**
 * The suffixes record-results.lua names a check's history list, state and messages hash by, beside
 * its latest hash's (every key of a check is its root, then its own suffix: checked here).
 */
function keySuffixes(keys: RedisKeys): string {
  const known = suffixes.get(keys);
  if (known !== undefined) return known;
  const named = (id: string) => [keys.latest(id), keys.history(id), keys.checkState(id), keys.latestMessages(id)];
  const latest = keys.latest('a');
  const root = latest.slice(0, latest.lastIndexOf(':') + 1);
  const joined = named('a')
    .map((key) => key.slice(root.length))
    .join('\t');
  const other = keys.latest('bb');
  const otherRoot = other.slice(0, other.lastIndexOf(':') + 1);
  if (
    named('bb').join('\t') !==
    named('a')
      .map((key) => otherRoot + key.slice(root.length))
      .join('\t')
  ) {
    throw new Error('record-results.lua expects a check’s keys to differ in their suffix only');
  }
  suffixes.set(keys, joined);
  return joined;
}

/**
 * The record script's replies, in the entries' order. A round completed by outcomes all sent side by
 * side in this call, with no book before them (+ 6), comes back without its book: the book is made
 * here from what was sent, the outcomes of its check's results for the round replied waiting before
 * it, then its own, as the script joins them (the script joining and returning it was ~7% of
 * Redis's time for such results: bench/record-results-ab.ts together).
 */
function parseReplies(
  entries: readonly ResultToRecord[],
  answers: readonly (number | [number, string])[],
): { recorded: RecordOutcome; booked?: BookReply }[] {
  const waiting = new Map<string, string>();
  return answers.map((reply, i) => {
    const entry = entries[i];
    const booking = entry?.booking;
    if (!entry || !booking) return parseRecorded(reply, false);
    const joined = typeof reply === 'number' && reply >= 6;
    const parsed = joined ? { recorded: OUTCOMES[reply % 3] ?? 'duplicate' } : parseRecorded(reply, true);
    if (!joined && parsed.booked !== 'waiting') return parsed;
    const round = `${entry.result.checkId}|${entry.result.round}`;
    const book = `${waiting.get(round) ?? ''}\n${entry.result.vantage}\t${booking.outcome}`;
    if (joined) return { ...parsed, booked: { book } };
    waiting.set(round, book);
    return parsed;
  });
}

/** A reply of record-results.lua: the outcome (+ 3 when its round waits), or `{outcome, book}` for a round completed. */
function parseRecorded(
  reply: number | [number, string],
  booking: boolean,
): { recorded: RecordOutcome; booked?: BookReply } {
  if (Array.isArray(reply)) return { recorded: OUTCOMES[reply[0]] ?? 'duplicate', booked: { book: reply[1] } };
  const recorded = OUTCOMES[reply % 3] ?? 'duplicate';
  if (!booking) return { recorded };
  return { recorded, booked: reply >= 3 ? 'waiting' : 'late' };
}

/** Two newest-first sequences as one, by round, each keeping its own order; at most `limit`. */
function mergeNewestFirst(a: ProbeResult[], b: ProbeResult[], limit: number): ProbeResult[] {
  const out: ProbeResult[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < a.length || j < b.length)) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.round >= y.round)) {
      if (x !== undefined) out.push(x);
      i++;
    } else {
      out.push(y);
      j++;
    }
  }
  return out;
}

const BOOKKEEPING = /:(round|i)$/;
const MESSAGE_SLOT = /^~m\d+$/;

/** The ring's message slots of a messages hash (its other fields are vantages' latest messages). */
function messageSlots(messages: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(messages).filter(([field]) => MESSAGE_SLOT.test(field)));
}

/** Whether a field of a latest hash names a vantage (holding its latest result), not bookkeeping. */
function isVantageField(field: string): boolean {
  return !field.startsWith('~') && !BOOKKEEPING.test(field);
}

/** A vantage's latest round: `<vantage>:i` is `index|slot|round`; before, `<vantage>:round` held it. */
function latestRoundOf(latest: Record<string, string>, vantage: string): string | undefined {
  const round = latest[`${vantage}:i`]?.split('|')[2];
  return round === undefined || round === '' ? latest[`${vantage}:round`] : round;
}

/** The ring's position, base, vantage indexes and message slots, from the latest hash (record-results.lua). */
function ringInfo(latest: Record<string, string>): RingInfo & { written: number; cap: number; form: RingForm } {
  const vantages = new Map<number, string>();
  const messages = new Map<number, { from: number; text: string }>();
  for (const [field, value] of Object.entries(latest)) {
    // `<vantage>:i` → `index|slot`: the vantage's index in history entries, the message slot it used last.
    if (field.endsWith(':i') && !field.startsWith('~')) vantages.set(Number(value.split('|')[0]), field.slice(0, -2));
    else if (MESSAGE_SLOT.test(field)) {
      const bar = value.indexOf('|');
      messages.set(Number(field.slice(2)), { from: Number(value.slice(0, bar)), text: value.slice(bar + 1) });
    }
  }
  // `~w`: `written|cap|base|72` (`|70`: 70-bit entries, from before); before, `written` beside `~r`:
  // `cap|base|70`, or `cap|base` for a ring of 10-byte entries.
  const [written = '0', ...ring] = (latest['~w'] ?? '').split('|');
  const [cap = '1', base = '0', layout] = ring.length > 0 ? ring : (latest['~r'] ?? '').split('|');
  return {
    written: Number(written) || 0,
    cap: Math.max(1, Number(cap) || 1),
    base: Number(base) || 0,
    form: layout === RING_LAYOUT || layout === '70' ? layout : 'v1',
    vantages,
    messages,
  };
}
