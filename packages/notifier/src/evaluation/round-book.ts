import {
  defineScripts,
  groupByShard,
  type Logger,
  RESULT_SCRIPTS,
  type Redis,
  type RedisKeys,
  type ScriptPipeline,
  scatterReplies,
} from '@vigil/core';
import type { RoundOutcome } from './round-verdict.js';

/** The scripts of `lua/`, as commands: each its KEYS, then its ARGV, as its header lists them. */
interface BookCommands {
  /** How many keys, the pending set, then per outcome its two keys; then per outcome its six arguments. */
  vigilAddRoundOutcomes(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<(0 | 1 | [2, string])[]>;
  /**
   * How many keys, the pending set, then per round its latest hash; then the limit, the number of
   * entries, the entries, each one's number of rounds, then per round its book's field.
   */
  vigilClaimRounds(numberOfKeys: number, ...keysThenArgs: string[]): Promise<(0 | (0 | string)[])[]>;
}

export interface RoundRef {
  checkId: string;
  round: number;
}

/** One vantage's outcome for its round, with what the round waits for. */
export type BookEntry = RoundRef & {
  vantage: string;
  outcome: RoundOutcome;
  expected: number;
  deadline: number;
};

/** What adding an outcome came to; a round it completed comes with every outcome gathered for it. */
export type Added = { status: 'late' | 'waiting' } | { status: 'complete'; outcomes: Map<string, RoundOutcome> };

/** A round this caller claimed, with every outcome gathered for it. */
export interface ClaimedRound extends RoundRef {
  outcomes: Map<string, RoundOutcome>;
}

/**
 * The rounds being gathered: each vantage's outcome lands in its round's book, a field of the
 * check's latest hash (no key a round); the round is decided exactly once, by whoever completes it
 * or, past its deadline, by whoever claims it from `pending`. Adding and claiming answer with the
 * round's outcomes, and take a whole batch in one round trip.
 */
export class RoundBook {
  private readonly redis: Redis & BookCommands;
  /**
   * Rounds this caller completed (`<check>|<round>` → deadline), until a sweep takes their entry:
   * their books are gone, so the claim script is not asked to read them (one HMGET, a key and an
   * argument a round: ~1 µs of Redis a round, and with one notifier nearly every round completes).
   * A round another notifier completed is still read, and passed over there, as before.
   */
  private readonly completedHere = new Map<string, number>();

  /**
   * When a sweep next has to read `pending` (`mayHaveDue`): the earliest deadline not yet due that the
   * last read saw, or that this caller booked since, and at most QUIET_LOOK_MS after the last read (for
   * entries another notifier booked and did not sweep: it died). An idle fleet's tick read every
   * shard's pending set four times a second for nothing.
   */
  private lookAt = Number.NEGATIVE_INFINITY;
  /** The earliest deadline booked here since the last read began. */
  private bookedSince = Number.POSITIVE_INFINITY;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys; log: Logger }) {
    // Adding lives beside recording (core's results scripts share the book's Lua); claiming is here.
    defineScripts(ctx.redis, RESULT_SCRIPTS);
    this.redis = defineScripts<BookCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  /**
   * Adds every entry in one round trip: one script per shard present (one on one Redis, whose keys
   * must share a Cluster slot); answers in the same order.
   */
  async addMany(entries: readonly BookEntry[]): Promise<Added[]> {
    if (entries.length === 0) return [];
    const groups = groupByShard(this.ctx.keys, entries, (entry) => entry.checkId);
    if (groups.length === 1) return (await this.redis.vigilAddRoundOutcomes(...this.addCall(entries))).map(parseAdded);
    const pipeline = this.redis.pipeline() as ScriptPipeline<BookCommands>;
    for (const group of groups) pipeline.vigilAddRoundOutcomes(...this.addCall(group.items));
    const replies = (await pipeline.exec()) ?? [];
    return scatterReplies(groups, replies, (answer) => parseAdded((answer as 0 | 1 | [2, string] | undefined) ?? 0));
  }

  /** The add script's arguments (number of keys, keys, then the rest) for entries of one shard. */
  private addCall(entries: readonly BookEntry[]): [number, ...(string | number)[]] {
    const { keys } = this.ctx;
    const roundKeys: string[] = [keys.pendingRounds(keys.shardOf(entries[0]?.checkId ?? ''))];
    const args: (string | number)[] = [];
    for (const entry of entries) {
      roundKeys.push(keys.latest(entry.checkId), keys.checkState(entry.checkId));
      args.push(
        entry.vantage,
        JSON.stringify(entry.outcome),
        entry.round,
        entry.deadline,
        entry.expected,
        memberOf(entry),
      );
    }
    return [roundKeys.length, ...roundKeys, ...args];
  }

  /**
   * Notes rounds this caller completed (claimed by adding or recording their last outcome), so a
   * sweep does not read their books again. Marks live until a sweep reads their entry, or for
   * COMPLETED_KEPT_MS past their deadline (a round completed by its only vantage has no entry; an
   * entry another notifier swept is never read here).
   */
  noteCompleted(rounds: readonly (RoundRef & { deadline: number })[]): void {
    for (const { checkId, round, deadline } of rounds) this.completedHere.set(`${checkId}|${round}`, deadline);
  }

  /** Rounds booked here that wait for more vantages: a sweep looks by the earliest of their deadlines. */
  expectDeadlines(deadlines: Iterable<number>): void {
    for (const deadline of deadlines) {
      this.bookedSince = Math.min(this.bookedSince, deadline);
      this.lookAt = Math.min(this.lookAt, deadline);
    }
  }

  /**
   * Whether a sweep at `now` may find rounds due: a deadline read or booked has passed, the last read
   * is QUIET_LOOK_MS old, or the clock went back. `claimDue` itself always reads.
   */
  mayHaveDue(now: number): boolean {
    return now >= this.lookAt || this.lookAt - now > QUIET_LOOK_MS;
  }

  /** When marks were last looked over for those long past their deadline. */
  private forgotAt = 0;

  /**
   * Drops marks past their deadline by COMPLETED_KEPT_MS (their entries another notifier swept, or a
   * round its only vantage completed), a pass over all at most every PRUNE_EVERY_MS, whatever order
   * they were noted in; then the oldest noted while past the cap.
   */
  private forgetCompleted(now: number): void {
    if (now - this.forgotAt >= PRUNE_EVERY_MS) {
      this.forgotAt = now;
      for (const [member, deadline] of this.completedHere)
        if (deadline < now - COMPLETED_KEPT_MS) this.completedHere.delete(member);
    }
    for (const member of this.completedHere.keys()) {
      if (this.completedHere.size <= COMPLETED_KEPT_MAX) break;
      this.completedHere.delete(member);
    }
  }

  /**
   * Rounds past their deadline that this caller claimed (each claimed by one caller only), with their
   * outcomes: from each shard, the oldest pending entries until `limit` rounds are claimed (an entry
   * holds the rounds one recording booked first with that deadline and is taken whole). Rounds that
   * completed meanwhile are passed over without counting; at most `examine` rounds (in 500 entries)
   * are looked at a shard (the first entry whatever its size), so a call stays short. `more` says that some shard
   * stopped at a cap, and may hold more due entries.
   */
  async claimDue(now: number, limit = 500, examine = 5_000): Promise<ClaimedRound[] & { more: boolean }> {
    // Until this sweep is through, the next one looks at once (a read or a claim that fails is retried).
    this.lookAt = now;
    this.bookedSince = Number.POSITIVE_INFINITY;
    const { shards, next } = await this.readDue(now, examine);
    this.forgetCompleted(now);
    const claimed = Object.assign([] as ClaimedRound[], { more: false });
    const answered = shards.length === 0 || (await this.claimShards(shards, limit, claimed));
    if (answered && !claimed.more) this.lookAt = Math.min(next, this.bookedSince);
    return claimed;
  }

  /**
   * Each shard's oldest due entries (those with any), and the earliest deadline not yet due, or
   * QUIET_LOOK_MS on if that is sooner: when the next sweep must look.
   */
  private async readDue(now: number, examine: number): Promise<{ shards: DueShard[]; next: number }> {
    const { keys } = this.ctx;
    const reads = this.ctx.redis.pipeline();
    // At most ENTRIES_READ entries: one of a big batch holds hundreds of rounds, all of them read.
    const read = Math.min(examine, ENTRIES_READ);
    for (let shard = 0; shard < keys.shards; shard++) {
      reads.zrangebyscore(keys.pendingRounds(shard), '-inf', now, 'LIMIT', 0, read);
      reads.zrangebyscore(keys.pendingRounds(shard), `(${now}`, '+inf', 'WITHSCORES', 'LIMIT', 0, 1);
    }
    const replies = (await reads.exec()) ?? [];
    let next = now + QUIET_LOOK_MS;
    const shards: DueShard[] = [];
    for (let shard = 0; shard < keys.shards; shard++) {
      const [err, reply] = replies[2 * shard] ?? [new Error('no reply from Redis'), null];
      const [nextErr, first] = replies[2 * shard + 1] ?? [new Error('no reply from Redis'), null];
      if (err || nextErr) throw err ?? nextErr;
      const deadline = Number((first as string[])[1]);
      if (deadline < next) next = deadline;
      const entries = reply as string[];
      if (entries.length === 0) continue;
      const due = takeRounds(entries, examine, this.completedHere);
      shards.push({ shard, due, capped: entries.length === read || due.length < entries.length });
    }
    return { shards, next };
  }

  /**
   * Claims each shard's due entries in one pipeline, adding what this caller claimed to `claimed`
   * (`more` when a shard stopped at a cap); false when some shard did not answer.
   */
  private async claimShards(
    shards: readonly DueShard[],
    limit: number,
    claimed: ClaimedRound[] & { more: boolean },
  ): Promise<boolean> {
    const pipeline = this.redis.pipeline() as ScriptPipeline<BookCommands>;
    for (const { shard, due } of shards) pipeline.vigilClaimRounds(...this.claimCall(shard, due, limit));
    const replies = (await pipeline.exec()) ?? [];
    let answered = true;
    shards.forEach(({ shard, due, capped }, i) => {
      const [err, reply] = replies[i] ?? [new Error('no reply from Redis')];
      if (err || !Array.isArray(reply)) {
        // The other shards' rounds are claimed already: keep them; this shard's entries are named, not their content.
        this.ctx.log.warn({ err: err?.message, shard, entries: due.length }, 'pending rounds not claimed');
        answered = false;
        return;
      }
      claimed.more ||= capped || reply.length < due.length;
      reply.forEach((answer, e) => {
        if (!Array.isArray(answer)) return;
        due[e]?.refs.forEach((ref, j) => {
          const book: unknown = answer[j];
          if (typeof book === 'string') claimed.push({ ...ref, outcomes: parseBook(book) });
        });
      });
    });
    return answered;
  }

  /** The claim script's arguments (number of keys, keys, then the rest) for due entries of one shard. */
  private claimCall(shard: number, due: readonly DueEntry[], limit: number): [number, ...string[]] {
    const { keys } = this.ctx;
    const latest = due.flatMap(({ refs }) => refs.map((ref) => keys.latest(ref.checkId)));
    const fields = due.flatMap(({ refs }) => refs.map((ref) => bookField(ref.round)));
    const entries = due.map(({ entry }) => entry);
    const counts = due.map(({ refs }) => String(refs.length));
    return [
      1 + latest.length,
      keys.pendingRounds(shard),
      ...latest,
      String(limit),
      String(due.length),
      ...entries,
      ...counts,
      ...fields,
    ];
  }

  /** The outcomes gathered for a round, by vantage. */
  async outcomes(ref: RoundRef): Promise<Map<string, RoundOutcome>> {
    const book = await this.ctx.redis.hget(this.ctx.keys.latest(ref.checkId), bookField(ref.round));
    return parseBook(book === null || book === '~' ? '' : book.slice(1));
  }
}

/** The longest a sweep goes without reading `pending` (a round another notifier booked and left). */
const QUIET_LOOK_MS = 1_000;
/** Due entries read a shard a claim, at most. */
const ENTRIES_READ = 500;
/** How long past its deadline a round completed here stays noted (sweeps run every few hundred ms). */
const COMPLETED_KEPT_MS = 60_000;
/** How often every mark is looked over for those past that. */
const PRUNE_EVERY_MS = 10_000;
/** Rounds completed here noted at most (~100 B each): a bound, should sweeps stop. */
const COMPLETED_KEPT_MAX = 200_000;

interface DueEntry {
  entry: string;
  refs: RoundRef[];
}

/** A shard's due entries a sweep read; `capped` when it may hold more. */
interface DueShard {
  shard: number;
  due: DueEntry[];
  capped: boolean;
}

/**
 * The oldest entries holding at most `examine` rounds in all, the first whatever its size; each
 * entry's rounds less those `completed` names (their marks taken: the entry is claimed whole).
 */
function takeRounds(entries: readonly string[], examine: number, completed: Map<string, number>): DueEntry[] {
  const due: DueEntry[] = [];
  let rounds = 0;
  for (const entry of entries) {
    const all = parseEntry(entry);
    const members = all.map((ref) => `${ref.checkId}|${ref.round}`);
    const refs = all.filter((_, i) => !completed.has(members[i] ?? ''));
    if (rounds > 0 && rounds + refs.length > examine) break;
    rounds += Math.max(1, refs.length);
    for (const member of members) completed.delete(member);
    due.push({ entry, refs });
  }
  return due;
}

/** A reply of add-round-outcomes.lua: 0 late, 1 waiting, or `{2, book}` complete. */
function parseAdded(reply: 0 | 1 | [2, string]): Added {
  if (Array.isArray(reply)) return { status: 'complete', outcomes: parseBook(reply[1]) };
  return { status: reply === 1 ? 'waiting' : 'late' };
}

/** A round's book, `\n<vantage>\t<outcome JSON>…` (JSON escapes tabs and newlines), as a map. */
export function parseBook(book: string): Map<string, RoundOutcome> {
  const out = new Map<string, RoundOutcome>();
  for (const entry of book.split('\n')) {
    const tab = entry.indexOf('\t');
    if (tab > 0) out.set(entry.slice(0, tab), JSON.parse(entry.slice(tab + 1)) as RoundOutcome);
  }
  return out;
}

/** The field of the check's latest hash that holds a round's book. */
function bookField(round: number): string {
  return `~b${round}`;
}

function memberOf(ref: RoundRef): string {
  return `${ref.checkId}|${ref.round}`;
}

/**
 * The rounds of a pending entry: `|<check>|<round>…` (the rounds one recording booked first with a
 * deadline), or `<check>|<round>` (one round, the form before). Check ids are slugs, never holding `|`.
 */
export function parseEntry(entry: string): RoundRef[] {
  const parts = entry.split('|');
  const refs: RoundRef[] = [];
  for (let i = parts[0] === '' ? 1 : 0; i + 1 < parts.length; i += 2) {
    const checkId = parts[i];
    const round = Number(parts[i + 1]);
    if (checkId && Number.isSafeInteger(round)) refs.push({ checkId, round });
  }
  return refs;
}
