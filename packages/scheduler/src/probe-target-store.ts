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
   * JSON), reading a shard's ids only when its count differs (one HLEN a shard otherwise). `thorough`
   * also reads the values of a tenth of the checks (a different tenth each time, by id) and rewrites
   * any not holding the JSON named (a stale scheduler's write after another's, a slot then naming a
   * revision the store does not hold) or holding it in a form before the bytes (base64url or JSON,
   * written by the release before: converted in ~10 min after an upgrade, not only when a target
   * changes): every value is checked once in ten thorough reconciles (~10 min
   * at the default resync), so a thorough reconcile reads and decodes 0.1 of the store, not all of it
   * (at 1,000,000 checks × 3 vantages all of it was ~50 s of CPU and 300 MB from Redis a minute).
   * Answers how many targets it wrote or removed.
   */
  async repair(
    targets: ReadonlyMap<string, NamedTargets>,
    vantages: readonly string[],
    shards: number,
    thorough = false,
  ): Promise<number> {
    const turn = thorough ? this.thoroughTurns++ % VERIFY_SPREAD : -1;
    let fixed = 0;
    for (const vantage of new Set([...vantages, ...targets.keys()]))
      fixed += await this.repairVantage(vantage, targets.get(vantage) ?? new Map(), shards, turn);
    return fixed;
  }

  /** Thorough repairs so far: which tenth of the checks the next one verifies. */
  private thoroughTurns = 0;

  private async repairVantage(vantage: string, targets: NamedTargets, shards: number, turn: number): Promise<number> {
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
      const countOff = Number(count) !== ids.length;
      const verified = turn < 0 ? [] : ids.filter((id) => verifyTurn(id) === turn);
      if (!countOff && verified.length === 0) continue;
      const wrong = new Map<string, string>();
      let extra: string[] = [];
      if (countOff) {
        const held = new Set(await redis.hkeys(key));
        for (const id of ids) if (!held.has(id)) wrong.set(id, targets.get(id) ?? '');
        const named = new Set(ids);
        extra = [...held].filter((id) => !named.has(id));
      }
      for (let at = 0; at < verified.length; at += WRITE_BATCH) {
        const batch = verified.slice(at, at + WRITE_BATCH);
        const values = await redis.hmgetBuffer(key, ...batch);
        batch.forEach((id, i) => {
          const json = targets.get(id) ?? '';
          const value = values[i];
          if (value == null || !isCurrentStoredTarget(value) || decodeStoredTarget(value) !== json) wrong.set(id, json);
        });
      }
      await this.write(new Map([[vantage, wrong]]));
      await this.remove(new Map([[vantage, extra]]));
      fixed += wrong.size + extra.length;
    }
    return fixed;
  }
}

/** Thorough repairs that together verify every stored value once. */
export const VERIFY_SPREAD = 10;

/** Which of VERIFY_SPREAD thorough repairs verifies `id`'s value (FNV-1a of the id). */
function verifyTurn(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % VERIFY_SPREAD;
}

function throwFirst(replies: [Error | null, unknown][] | null): void {
  for (const [err] of replies ?? []) if (err) throw err;
}
