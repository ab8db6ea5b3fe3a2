import {
  decodeSlot,
  decodeStoredTarget,
  encodeStoredTarget,
  groupByShard,
  type Redis,
  type RedisKeys,
} from '@vigil/core';

/** vantage → check id → a target's JSON. */
export type VantageTargets = ReadonlyMap<string, ReadonlyMap<string, string>>;

/** check id → the revision of its target a slot's string names. */
export type PublishedMembers = Map<string, string>;

/** Targets written in one HSET: a round trip each, not one per target. */
const WRITE_BATCH = 500;

/**
 * The probe target store as the scheduler keeps it (a hash a vantage and shard: check id →
 * ProbeTarget JSON deflated, once for each vantage that probes the check, beside its queue, so a
 * prober's ACL reads its own vantage's targets only): a target is written before any slot names its revision, and removed once
 * no slot names its check. What a slot named before is read from its own string, so a reconcile
 * writes only the targets whose revision changed. A shard holding more or fewer targets than the
 * slots name (a check deleted and made again between two reconciles, a crash midway) is repaired.
 */
export class ProbeTargetStore {
  constructor(private readonly ctx: { redis: Redis; keys: Pick<RedisKeys, 'probeTargets' | 'shardOf' | 'slot'> }) {}

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
    for (const [vantage, byId] of targets) {
      const stored = [...byId].map(([id, json]) => [id, encodeStoredTarget(json)] as const);
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
   * JSON), reading a shard's ids only when its count differs (one HLEN a shard otherwise). `thorough`
   * reads every shard's values and rewrites any not holding the JSON named (a stale scheduler's write
   * after another's, a slot then naming a revision the store does not hold). Answers how many
   * targets it wrote or removed.
   */
  async repair(
    targets: VantageTargets,
    vantages: readonly string[],
    shards: number,
    thorough = false,
  ): Promise<number> {
    let fixed = 0;
    for (const vantage of new Set([...vantages, ...targets.keys()]))
      fixed += await this.repairVantage(vantage, targets.get(vantage) ?? new Map(), shards, thorough);
    return fixed;
  }

  private async repairVantage(
    vantage: string,
    targets: ReadonlyMap<string, string>,
    shards: number,
    thorough: boolean,
  ): Promise<number> {
    const { redis, keys } = this.ctx;
    const expected = new Map<number, string[]>();
    for (const id of targets.keys()) {
      const shard = keys.shardOf(id);
      const ids = expected.get(shard) ?? [];
      expected.set(shard, ids);
      ids.push(id);
    }
    const pipeline = redis.pipeline();
    for (let shard = 0; shard < shards; shard++) pipeline.hlen(keys.probeTargets(vantage, shard));
    const counts = (await pipeline.exec()) ?? [];
    let fixed = 0;
    for (let shard = 0; shard < shards; shard++) {
      const key = keys.probeTargets(vantage, shard);
      const ids = expected.get(shard) ?? [];
      const [err, count] = counts[shard] ?? [null, 0];
      if (err) throw err;
      if (!thorough && Number(count) === ids.length) continue;
      const held = thorough
        ? new Map(Object.entries(await redis.hgetall(key)))
        : new Map((await redis.hkeys(key)).map((id) => [id, undefined]));
      const wrong = new Map<string, string>();
      for (const id of ids) {
        const json = targets.get(id) ?? '';
        const value = held.get(id);
        if (!held.has(id) || (thorough && (value === undefined || decodeStoredTarget(value) !== json)))
          wrong.set(id, json);
        held.delete(id);
      }
      await this.write(new Map([[vantage, wrong]]));
      await this.remove(new Map([[vantage, [...held.keys()]]]));
      fixed += wrong.size + held.size;
    }
    return fixed;
  }
}

function throwFirst(replies: [Error | null, unknown][] | null): void {
  for (const [err] of replies ?? []) if (err) throw err;
}
