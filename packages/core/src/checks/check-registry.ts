import type { Redis } from 'ioredis';
import { VigilError } from '../errors/errors.js';
import { forgetCheckData, leftoverIds } from '../results/check-data.js';
import { type Clock, systemClock } from '../runtime/clock.js';
import type { RedisKeys } from '../runtime/keys.js';
import type { Logger } from '../runtime/logger.js';
import { defineScripts } from '../runtime/scripts.js';
import { type Check, resolvedCheckIssues } from './check.js';
import { decodeStoredCheck, encodeStoredCheck, isCompactStoredCheck, storedCheckJson } from './stored-check.js';

/** A change as watchers get it: the checks one announcement named (one, or a bulk write's chunk). */
export type RegistryChange = { op: 'upsert' | 'delete'; ids: string[] };
/** A change as announced on the channel: `put` names one check, `putMany` a chunk of them. */
type RegistryMessage = { op: RegistryChange['op']; id: string } | { op: RegistryChange['op']; ids: string[] };
/** Fields a page of `list`'s HSCAN asks for: ~1 ms of Redis a page. */
const LIST_PAGE = 1_000;

export type PutOutcome = 'created' | 'updated' | 'unchanged';

/** Checks a `putMany` reads and writes per round trip (and names in one announcement). */
export const PUT_MANY_CHUNK = 1_000;
/** Chunks of a `putMany` in flight at once: their round trips overlap. */
const PUT_MANY_PARALLEL = 4;

/** The scripts of `lua/`, as commands. */
interface RegistryCommands {
  vigilCreateOwnedCheck(
    checks: string,
    ownerChecks: string,
    id: string,
    value: Buffer,
    maxChecks: number,
  ): Promise<number>;
  /** Per check: id, the value read, the compact value. */
  vigilConvertStoredChecks(checks: string, ...idReadNew: (string | Buffer)[]): Promise<number>;
}

/**
 * The registry of checks in Redis: one hash (check id → the check, compact bytes: stored-check.ts;
 * the forms written before read too, so values are read as Buffers), changes announced on a channel
 * and counted, so a scheduler can follow
 * them live and still catch up after missing a message. A value that does not read as a check is
 * skipped (logged by id, never its content), as if the check were not there.
 */
export class CheckRegistry {
  private readonly redis: Redis & RegistryCommands;

  /** `clock` dates the legacy verdict buckets a delete forgets; the system's unless given. `log` hears of unreadable values. */
  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys; clock?: Clock; log?: Logger }) {
    this.redis = defineScripts<RegistryCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  /**
   * Every check, by id. Read with HSCAN a page at a time, not one HGETALL: at 1,000,000 checks that
   * one command held Redis for 13.6 s (every role's commands waiting, a starting role's connect
   * timing out). A check changed while the pages are read may come as it was or as it is now; the
   * readers that keep the registry (scheduler, notifier catalog) also follow its change feed and
   * read again what changed meanwhile.
   */
  async list(): Promise<Check[]> {
    const byId = new Map<string, Check>();
    // HSCAN may return a field twice (the hash rehashing between pages): the Map keeps one.
    await this.eachPage((checks) => {
      for (const check of checks) byId.set(check.id, check);
    });
    return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * `list`'s pages as they come (HSCAN order; a check may come twice), for a reader that keeps less
   * than each Check: it never holds every Check at once.
   */
  async eachPage(visit: (checks: Check[]) => void): Promise<void> {
    let cursor = '0';
    do {
      const [next, page] = await this.ctx.redis.hscanBuffer(this.ctx.keys.checks, cursor, 'COUNT', LIST_PAGE);
      const checks: Check[] = [];
      for (let i = 0; i + 1 < page.length; i += 2) {
        const id = (page[i] as Buffer).toString();
        const check = this.read(id, page[i + 1] ?? null);
        if (check) checks.push(check);
      }
      visit(checks);
      cursor = next.toString();
    } while (cursor !== '0');
  }

  async get(id: string): Promise<Check | undefined> {
    return this.read(id, await this.ctx.redis.hgetBuffer(this.ctx.keys.checks, id));
  }

  /** The checks with these ids, in the same order; undefined where there is none (or it is unreadable). */
  async getMany(ids: readonly string[]): Promise<(Check | undefined)[]> {
    if (ids.length === 0) return [];
    const values = await this.ctx.redis.hmgetBuffer(this.ctx.keys.checks, ...ids);
    return values.map((value, i) => this.read(ids[i] ?? '', value));
  }

  /** A stored value as its check; an unreadable one is logged by id and read as none. */
  private read(id: string, value: Buffer | null): Check | undefined {
    if (value === null) return undefined;
    const check = decodeStoredCheck(id, value);
    if (!check) this.ctx.log?.warn({ check: id }, 'check in the registry unreadable: skipped');
    return check;
  }

  /** Every check id, or an owner's, sorted: listing a page needs only the ids of the others. */
  async ids(owner?: string): Promise<string[]> {
    const ids =
      owner === undefined
        ? await this.ctx.redis.hkeys(this.ctx.keys.checks)
        : await this.ctx.redis.smembers(this.ctx.keys.checksOfOwner(owner));
    return ids.sort();
  }

  /** Adds a check; CONFLICT when the id is taken. */
  async create(check: Check): Promise<void> {
    assertValid(check);
    const added = await this.ctx.redis.hsetnx(this.ctx.keys.checks, check.id, encodeStoredCheck(check));
    if (added === 0)
      throw new VigilError('CONFLICT', `check ${check.id} already exists`, [{ path: 'id', message: 'already exists' }]);
    await this.forgetLeftovers(check.id);
    await this.announce({ op: 'upsert', id: check.id });
  }

  /**
   * A check was just created under an id that had none: forgets whatever data the id still holds
   * (a deleted check's, recorded from a batch in flight after its delete forgot it, or left when
   * that forget failed), before the create is announced, so before any result of the new check.
   */
  private async forgetLeftovers(...ids: string[]): Promise<void> {
    // One EXISTS a check first: a fresh id holds nothing, and the forget script (HKEYS, an HSCAN of
    // its shard's address outbox and an UNLINK for each of ~130 keys, dated ones included) cost
    // Redis ~70 µs a created check, 1,000,000 checks registered in minutes instead of seconds.
    const held = await leftoverIds(this.ctx, ids);
    const now = (this.ctx.clock ?? systemClock).now();
    await Promise.all(held.map((id) => forgetCheckData(this.ctx, id, now)));
  }

  /**
   * Adds a check for `check.owner` unless the id is taken (CONFLICT) or the owner already has
   * `maxChecks` (QUOTA_EXCEEDED, naming the limit).
   */
  async createOwned(check: Check & { owner: string }, maxChecks: number): Promise<void> {
    assertValid(check);
    const { keys } = this.ctx;
    const outcome = await this.redis.vigilCreateOwnedCheck(
      keys.checks,
      keys.checksOfOwner(check.owner),
      check.id,
      encodeStoredCheck(check),
      maxChecks,
    );
    if (outcome === -1)
      throw new VigilError('CONFLICT', `check ${check.id} already exists`, [{ path: 'id', message: 'already exists' }]);
    if (outcome === -2) {
      throw new VigilError('QUOTA_EXCEEDED', `quota.checks: this token allows at most ${maxChecks} checks`, [
        { path: 'quota.checks', message: `at most ${maxChecks} checks per owner; an admin can raise it` },
      ]);
    }
    await this.forgetLeftovers(check.id);
    await this.announce({ op: 'upsert', id: check.id });
  }

  /** How many checks an owner has registered through the API. */
  async countOwned(owner: string): Promise<number> {
    return this.ctx.redis.scard(this.ctx.keys.checksOfOwner(owner));
  }

  /**
   * Creates or replaces a check; unchanged checks announce nothing (one stored in a form before the
   * compact bytes, JSON or base64url, is rewritten compact, unannounced).
   */
  async put(check: Check): Promise<PutOutcome> {
    assertValid(check);
    const json = JSON.stringify(check);
    const previous = await this.ctx.redis.hgetBuffer(this.ctx.keys.checks, check.id);
    const held = previous === null ? undefined : storedCheckJson(previous);
    if (held === json) {
      if (previous !== null && !isCompactStoredCheck(previous))
        await this.redis.vigilConvertStoredChecks(
          this.ctx.keys.checks,
          check.id,
          previous,
          encodeStoredCheck(check, json),
        );
      return 'unchanged';
    }
    const before = previous === null ? undefined : this.read(check.id, previous)?.owner;
    const multi = this.ctx.redis.multi().hset(this.ctx.keys.checks, check.id, encodeStoredCheck(check, json));
    if (before !== check.owner) {
      if (before !== undefined) multi.srem(this.ctx.keys.checksOfOwner(before), check.id);
      if (check.owner !== undefined) multi.sadd(this.ctx.keys.checksOfOwner(check.owner), check.id);
    }
    await multi.exec();
    if (previous === null) await this.forgetLeftovers(check.id);
    await this.announce({ op: 'upsert', id: check.id });
    return previous === null ? 'created' : 'updated';
  }

  /**
   * `put` for many checks at once (a large vigil.yaml, an import): each check's outcome is what
   * `put` would give, but per chunk of `PUT_MANY_CHUNK` it costs one read, one MULTI of writes, a
   * forget script per created check (pipelined) and one announcement naming every check it changed,
   * instead of four round trips a check. Every
   * check is validated before anything is written; a later duplicate id wins.
   */
  async putMany(checks: readonly Check[]): Promise<Record<PutOutcome, number>> {
    for (const check of checks) assertValid(check);
    const byId = new Map(checks.map((check) => [check.id, check]));
    const unique = [...byId.values()];
    const counts: Record<PutOutcome, number> = { created: 0, updated: 0, unchanged: 0 };
    const chunks: Check[][] = [];
    for (let i = 0; i < unique.length; i += PUT_MANY_CHUNK) chunks.push(unique.slice(i, i + PUT_MANY_CHUNK));
    let next = 0;
    const lane = async () => {
      for (let chunk = chunks[next++]; chunk; chunk = chunks[next++]) {
        for (const outcome of await this.putChunk(chunk)) counts[outcome]++;
      }
    };
    await Promise.all(Array.from({ length: PUT_MANY_PARALLEL }, lane));
    return counts;
  }

  /**
   * One chunk of `putMany`: read what is there, write what changed in one MULTI, forget what the
   * ids of created checks still held (forgetLeftovers), then announce the chunk.
   */
  private async putChunk(checks: readonly Check[]): Promise<PutOutcome[]> {
    const { redis, keys } = this.ctx;
    const previous = await redis.hmgetBuffer(keys.checks, ...checks.map((check) => check.id));
    const changed: Record<string, Buffer> = {};
    const converted: (string | Buffer)[] = [];
    const multi = redis.multi();
    const outcomes = checks.map((check, i): PutOutcome => {
      const before = previous[i] ?? null;
      const json = JSON.stringify(check);
      if (before !== null && storedCheckJson(before) === json) {
        // Stored in a form before the compact bytes (JSON, base64url): rewritten, unannounced (nothing changed).
        if (!isCompactStoredCheck(before)) converted.push(check.id, before, encodeStoredCheck(check, json));
        return 'unchanged';
      }
      changed[check.id] = encodeStoredCheck(check, json);
      const owner = before === null ? undefined : this.read(check.id, before)?.owner;
      if (owner !== check.owner) {
        if (owner !== undefined) multi.srem(keys.checksOfOwner(owner), check.id);
        if (check.owner !== undefined) multi.sadd(keys.checksOfOwner(check.owner), check.id);
      }
      return before === null ? 'created' : 'updated';
    });
    const ids = Object.keys(changed);
    // Only where the value read is still there: a change made meanwhile is not undone.
    if (converted.length > 0) await this.redis.vigilConvertStoredChecks(keys.checks, ...converted);
    if (ids.length === 0) return outcomes;
    const created = checks.filter((_, i) => outcomes[i] === 'created').map((check) => check.id);
    await multi.hset(keys.checks, changed).exec();
    await this.forgetLeftovers(...created);
    await redis
      .multi()
      .incrby(keys.checksVersion, ids.length)
      .publish(keys.checksChanged, JSON.stringify({ op: 'upsert', ids } satisfies RegistryMessage))
      .exec();
    return outcomes;
  }

  /** Replaces an existing check; NOT_FOUND when there is none. */
  async update(check: Check): Promise<void> {
    if (!(await this.ctx.redis.hexists(this.ctx.keys.checks, check.id))) throw notFound(check.id);
    await this.put(check);
  }

  async setPaused(id: string, paused: boolean): Promise<Check> {
    const check = await this.get(id);
    if (!check) throw notFound(id);
    const next = { ...check, paused };
    await this.put(next);
    return next;
  }

  /**
   * Removes a check and forgets its results and evaluation (ids are reusable, by any owner); false
   * when there was none. Announced first, so notifiers stop recording it, then forgotten on its own
   * slot. Its incidents stay, their members naming the owner they were recorded for.
   */
  async delete(id: string): Promise<boolean> {
    const owner = (await this.get(id))?.owner;
    if (owner !== undefined) await this.ctx.redis.srem(this.ctx.keys.checksOfOwner(owner), id);
    const removed = await this.ctx.redis.hdel(this.ctx.keys.checks, id);
    if (removed > 0) await this.announce({ op: 'delete', id });
    // Its own incident group's pointer too: a check created later with the id opens incidents of its own.
    await this.ctx.redis.del(this.ctx.keys.incidentGroup(`check:${id}`));
    await forgetCheckData(this.ctx, id, (this.ctx.clock ?? systemClock).now());
    return removed > 0;
  }

  /** The change counter, one step per check changed: pollers compare it to know whether to reload. */
  async version(): Promise<number> {
    return Number((await this.ctx.redis.get(this.ctx.keys.checksVersion)) ?? 0);
  }

  /**
   * Calls `onChange` for every announcement while subscribed (one check, or a bulk write's chunk).
   * `subscriber` must be a connection of its own (subscribed connections can do nothing else); the
   * returned function unsubscribes.
   */
  async watch(subscriber: Redis, onChange: (change: RegistryChange) => void): Promise<() => Promise<void>> {
    const channel = this.ctx.keys.checksChanged;
    const listener = (from: string, message: string) => {
      if (from !== channel) return;
      const change = JSON.parse(message) as RegistryMessage;
      onChange({ op: change.op, ids: 'ids' in change ? change.ids : [change.id] });
    };
    subscriber.on('message', listener);
    await subscriber.subscribe(channel);
    return async () => {
      subscriber.off('message', listener);
      await subscriber.unsubscribe(channel).catch(() => {});
    };
  }

  private async announce(change: RegistryMessage): Promise<void> {
    await this.ctx.redis
      .multi()
      .incr(this.ctx.keys.checksVersion)
      .publish(this.ctx.keys.checksChanged, JSON.stringify(change))
      .exec();
  }
}

function notFound(id: string): VigilError {
  return new VigilError('NOT_FOUND', `no check ${id}`, [{ path: 'id', message: 'no such check' }]);
}

function assertValid(check: Check): void {
  const issues = resolvedCheckIssues(check);
  if (issues.length > 0) {
    throw new VigilError(
      'VALIDATION',
      `check ${check.id} is invalid: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
}
