import {
  decodeSlot,
  decodeStoredTarget,
  encodeStoredTarget,
  groupByShard,
  isCurrentStoredTarget,
  type Redis,
  type RedisKeys,
} from '@vigil/core';

/** vantage → check id → a target's JSON. */
export type VantageTargets = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** The targets a vantage's slots name, as `repair` reads them (a map, or a view of the scheduler's plan). */
export interface NamedTargets {
  keys(): Iterable<string>;
  get(id: string): string | undefined;
  /** How many it names on each shard, when the caller keeps that count (else `keys` are walked to know). */
  shardCounts?(): readonly number[];
}

/** check id → the revision of its target a slot's string names. */
export type PublishedMembers = Map<string, string>;

/** Targets written in one HSET: a round trip each, not one per target. */
const WRITE_BATCH = 500;

/**
 * The probe target store as the scheduler keeps it (a hash a vantage and shard: check id →
 * ProbeTarget JSON deflated, as bytes: core's encodeStoredTarget; values of the forms before, base64url
 * or JSON, read too and are rewritten by a thorough repair), once for each vantage that probes the check, beside its queue, so a
 * prober's ACL reads its own vantage's targets only): a target is written before any slot names its revision, and removed once
 * no slot names its check. What a slot named before is read from its own string, so a reconcile
 * writes only the targets whose revision changed. A shard holding more or fewer targets than the
 * slots name (a check deleted and made again between two reconciles, a crash midway) is repaired.
 */
export class ProbeTargetStore {
  constructor(
    private readonly ctx: { redis: Redis; keys: Pick<RedisKeys, 'probeTargets' | 'shardOf' | 'slot'> },
    /** Stored values a thorough repair verifies a vantage (`verify`). */
    private readonly verifyBudget = VERIFY_BUDGET,
  ) {}

  /**
   * What each slot's string names now, by slot id: empty for a slot with no string, or one in the
   * layout before (its targets inline), whose members' targets are then all written again.
   */
  async published(slots: readonly { id: string; vantage: string }[]): Promise<Map<string, PublishedMembers>> {
    const pipeline = this.ctx.redis.pipeline();
    for (const slot of slots) pipeline.get(this.ctx.keys.slot(slot.vantage, slot.id));
    const replies = slots.length > 0 ? ((await pipeline.exec()) ?? []) : [];
    return new Map(
      slots.map((slot, i) => {
        const [err, text] = replies[i] ?? [null, null];
        if (err) throw err;
        const { members } = decodeSlot(typeof text === 'string' ? text : '');
        return [slot.id, new Map(members.map((member) => [member.id, member.revision]))];
      }),
    );
  }

  /** Writes targets (vantage → check id → JSON), grouped by vantage and shard. */
  async write(targets: VantageTargets): Promise<void> {
    const pipeline = this.ctx.redis.pipeline();
    // A check probed from every vantage is written once for each with the same JSON: deflated once.
    const encoded = new Map<string, { json: string; value: Buffer }>();
    const encode = (id: string, json: string): Buffer => {
      const known = encoded.get(id);
      if (known?.json === json) return known.value;
      const value = encodeStoredTarget(json);
      encoded.set(id, { json, value });
      return value;
    };
    for (const [vantage, byId] of targets) {
      const stored = [...byId].map(([id, json]) => [id, encode(id, json)] as const);
      for (const { shard, items } of groupByShard(this.ctx.keys, stored, ([id]) => id))
        for (let i = 0; i < items.length; i += WRITE_BATCH)
          pipeline.hset(
            this.ctx.keys.probeTargets(vantage, shard),
            Object.fromEntries(items.slice(i, i + WRITE_BATCH)),
          );
    }
    if (pipeline.length > 0) throwFirst(await pipeline.exec());
  }

  /** Removes the targets (vantage → check ids) of checks no slot of the vantage names any more. */
  async remove(ids: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const pipeline = this.ctx.redis.pipeline();
    for (const [vantage, list] of ids)
      for (const { shard, items } of groupByShard(this.ctx.keys, list, (id) => id))
        for (let i = 0; i < items.length; i += WRITE_BATCH)
          pipeline.hdel(this.ctx.keys.probeTargets(vantage, shard), ...items.slice(i, i + WRITE_BATCH));
    if (pipeline.length > 0) throwFirst(await pipeline.exec());
  }

  /**
   * Makes each vantage's shards hold exactly `targets` (vantage → every check a slot of it names → its
   * JSON): one HLEN a shard, compared with the counts the plan keeps, and a shard's ids read only when
   * its count differs (a check deleted and made again between two reconciles, a crash midway).
   * `thorough` also verifies up to `verifyBudget` stored values a vantage (`verify`). Answers how many
   * targets it wrote or removed.
   */
  async repair(
    targets: ReadonlyMap<string, NamedTargets>,
    vantages: readonly string[],
    shards: number,
    thorough = false,
  ): Promise<number> {
    let fixed = 0;
    for (const vantage of new Set([...vantages, ...targets.keys()])) {
      const named = targets.get(vantage) ?? new Map<string, string>();
      fixed += await this.repairCounts(vantage, named, shards);
      if (thorough) fixed += await this.verify(vantage, named, shards);
    }
    return fixed;
  }

  private async repairCounts(vantage: string, targets: NamedTargets, shards: number): Promise<number> {
    const { redis, keys } = this.ctx;
    const pipeline = redis.pipeline();
    for (let shard = 0; shard < shards; shard++) pipeline.hlen(keys.probeTargets(vantage, shard));
    const counts = (await pipeline.exec()) ?? [];
    // The ids a shard should hold, by walking every check: only when a count is off, or the caller
    // keeps no counts (at 1,000,000 checks × 3 vantages a walk a minute was a tenth of a core).
    let byShard: Map<number, string[]> | undefined;
    const idsOf = (shard: number): string[] => {
      byShard ??= new Map(groupByShard(keys, [...targets.keys()], (id) => id).map((g) => [g.shard, g.items]));
      return byShard.get(shard) ?? [];
    };
    const kept = targets.shardCounts?.();
    let fixed = 0;
    for (let shard = 0; shard < shards; shard++) {
      const [err, count] = counts[shard] ?? [null, 0];
      if (err) throw err;
      if (Number(count) === (kept ? (kept[shard] ?? 0) : idsOf(shard).length)) continue;
      const ids = idsOf(shard);
      const held = new Set(await redis.hkeys(keys.probeTargets(vantage, shard)));
      const missing = new Map<string, string>();
      for (const id of ids) if (!held.has(id)) missing.set(id, targets.get(id) ?? '');
      const named = new Set(ids);
      const extra = [...held].filter((id) => !named.has(id));
      await this.write(new Map([[vantage, missing]]));
      await this.remove(new Map([[vantage, extra]]));
      fixed += missing.size + extra.length;
    }
    return fixed;
  }

  /** Where each vantage's verification goes on from: a shard, and its HSCAN cursor. */
  private readonly verifyAt = new Map<string, { shard: number; cursor: string }>();

  /**
   * Reads up to `verifyBudget` stored values of the vantage (HSCAN, from where the last left off,
   * shard after shard) and rewrites any not holding the JSON its slots name (a stale scheduler's
   * write after another's, a slot then naming a revision the store does not hold) or holding it in a
   * form before the bytes (base64url or JSON, written by the release before), and removes any no
   * slot names. Every value is verified once in ⌈targets ÷ budget⌉ thorough reconciles: each minute
   * at 10,000 checks, every ~100 minutes at 1,000,000 (a tenth of every value each minute was 300,000
   * values read and inflated a minute: with the walk above, ~12 s of a core a minute).
   */
  private async verify(vantage: string, targets: NamedTargets, shards: number): Promise<number> {
    const { redis, keys } = this.ctx;
    const at = this.verifyAt.get(vantage) ?? { shard: 0, cursor: '0' };
    if (at.shard >= shards) Object.assign(at, { shard: 0, cursor: '0' });
    this.verifyAt.set(vantage, at);
    const wrong = new Map<string, string>();
    const extra: string[] = [];
    let read = 0;
    // At most one pass over every shard, however few values they hold.
    for (let finished = 0; read < this.verifyBudget && finished < shards; ) {
      const key = keys.probeTargets(vantage, at.shard);
      const [next, page] = await redis.hscanBuffer(key, at.cursor, 'COUNT', Math.min(VERIFY_PAGE, this.verifyBudget));
      for (let i = 0; i + 1 < page.length; i += 2) {
        const id = (page[i] as Buffer).toString();
        const value = page[i + 1] as Buffer;
        const json = targets.get(id);
        if (json === undefined) extra.push(id);
        else if (!isCurrentStoredTarget(value) || decodeStoredTarget(value) !== json) wrong.set(id, json);
      }
      read += page.length / 2;
      at.cursor = next.toString();
      if (at.cursor === '0') {
        at.shard = (at.shard + 1) % shards;
        finished += 1;
      }
    }
    await this.write(new Map([[vantage, wrong]]));
    await this.remove(new Map([[vantage, extra]]));
    return wrong.size + extra.length;
  }
}

/** Stored values a thorough reconcile verifies a vantage, unless the store is told otherwise. */
export const VERIFY_BUDGET = 10_000;
/** Values an HSCAN call asks for while verifying. */
const VERIFY_PAGE = 1_000;

function throwFirst(replies: [Error | null, unknown][] | null): void {
  for (const [err] of replies ?? []) if (err) throw err;
}
