import { createHash } from 'node:crypto';
import { decodeSlotTargets, type ProbeTarget, type Redis, type RedisKeys, SLOT_FINGERPRINT_LENGTH } from '@vigil/core';

interface Cached {
  target: ProbeTarget;
  /** Epoch ms this prober last found the check in one of its slots. */
  seenAt: number;
}

/** A slot as last read: its members' fingerprint and its targets' cache keys. */
interface CachedSlot {
  fingerprint: string;
  members: string[];
}

/**
 * The checks of a slot, as probe targets. Every round reads the head of the slot's string (its
 * members' fingerprint, core's slot-targets.ts); the whole string only when that changed, and a
 * target's JSON is parsed only when its line is new to this process, so an unchanged slot costs 27
 * bytes a round. The string sits beside the vantage's queue: a prober never reads the check registry.
 * A slot not yet written in that layout (an upgrade) is read from the two hashes before it.
 */
export class SlotMembers {
  /** Targets by a digest of their JSON line (or, from the hashes before, `<id>\n<fingerprint>`). */
  private readonly cache = new Map<string, Cached>();
  private readonly slots = new Map<string, CachedSlot>();

  constructor(
    private readonly ctx: {
      redis: Redis;
      keys: Pick<RedisKeys, 'slot' | 'slotMembers' | 'slotTargets'>;
      vantage: string;
    },
  ) {}

  async targets(slot: string, now: number): Promise<ProbeTarget[]> {
    const { redis, keys, vantage } = this.ctx;
    const key = keys.slot(vantage, slot);
    const head = await redis.getrange(key, 0, SLOT_FINGERPRINT_LENGTH - 1);
    if (head === '') return this.fromHashes(slot, now);
    let cached = this.slots.get(slot);
    if (cached?.fingerprint !== head) {
      const text = await redis.get(key);
      // Removed since its head was read: the slot has no members now.
      if (text === null) return [];
      cached = this.load(text, now);
      this.slots.set(slot, cached);
    }
    return this.collect(cached.members, now);
  }

  /** Forgets checks not seen in any slot for two of their intervals (left, deleted, moved away). */
  sweep(now: number): void {
    for (const [id, cached] of this.cache)
      if (now - cached.seenAt > 2 * cached.target.intervalMs) this.cache.delete(id);
    for (const [slot, cached] of this.slots)
      if (!cached.members.some((m) => this.cache.has(m))) this.slots.delete(slot);
  }

  /** Checks cached now (for tests). */
  get size(): number {
    return this.cache.size;
  }

  private load(text: string, now: number): CachedSlot {
    const { fingerprint, lines } = decodeSlotTargets(text);
    const members = lines.map((line) => {
      const digest = createHash('sha1').update(line).digest('base64url');
      if (!this.cache.has(digest)) this.cache.set(digest, { target: JSON.parse(line) as ProbeTarget, seenAt: now });
      return digest;
    });
    return { fingerprint, members };
  }

  private collect(members: readonly string[], now: number): ProbeTarget[] {
    const targets: ProbeTarget[] = [];
    for (const member of members) {
      const cached = this.cache.get(member);
      if (!cached) continue;
      cached.seenAt = now;
      targets.push(cached.target);
    }
    return targets;
  }

  /** The layout before one string a slot: check id → fingerprint, and check id → target JSON. */
  private async fromHashes(slot: string, now: number): Promise<ProbeTarget[]> {
    const { redis, keys, vantage } = this.ctx;
    const members = await redis.hgetall(keys.slotMembers(vantage, slot));
    const ids = Object.keys(members);
    const cacheKey = (id: string) => `${id}\n${members[id] ?? ''}`;
    const missing = ids.filter((id) => !this.cache.has(cacheKey(id)));
    if (missing.length > 0) {
      const json = await redis.hmget(keys.slotTargets(vantage, slot), ...missing);
      missing.forEach((id, i) => {
        const text = json[i];
        // Rewritten since the members were read: the next round reads it again.
        if (text != null) this.cache.set(cacheKey(id), { target: JSON.parse(text) as ProbeTarget, seenAt: now });
      });
    }
    return this.collect(ids.map(cacheKey), now);
  }
}
