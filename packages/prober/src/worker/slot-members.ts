import type { ProbeTarget, Redis, RedisKeys } from '@vigil/core';

interface Cached {
  fingerprint: string;
  target: ProbeTarget;
  /** Epoch ms this prober last found the check in one of its slots. */
  seenAt: number;
}

/**
 * The checks of a slot, as probe targets. The members hash (check id → target fingerprint) is read
 * every round; a check's target JSON only when its fingerprint is new to this process, so an
 * unchanged check costs one short hash field per round. Both hashes sit beside the vantage's queue:
 * a prober never reads the check registry.
 */
export class SlotMembers {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly ctx: { redis: Redis; keys: Pick<RedisKeys, 'slotMembers' | 'slotTargets'>; vantage: string },
  ) {}

  async targets(slot: string, now: number): Promise<ProbeTarget[]> {
    const { redis, keys, vantage } = this.ctx;
    const members = await redis.hgetall(keys.slotMembers(vantage, slot));
    const ids = Object.keys(members);
    const missing = ids.filter((id) => this.cache.get(id)?.fingerprint !== members[id]);
    if (missing.length > 0) {
      const json = await redis.hmget(keys.slotTargets(vantage, slot), ...missing);
      missing.forEach((id, i) => {
        const text = json[i];
        // Rewritten since the members were read: the next round reads it again.
        if (text == null) this.cache.delete(id);
        else
          this.cache.set(id, { fingerprint: members[id] ?? '', target: JSON.parse(text) as ProbeTarget, seenAt: now });
      });
    }
    const targets: ProbeTarget[] = [];
    for (const id of ids) {
      const cached = this.cache.get(id);
      if (!cached) continue;
      cached.seenAt = now;
      targets.push(cached.target);
    }
    return targets;
  }

  /** Forgets checks not seen in any slot for two of their intervals (left, deleted, moved away). */
  sweep(now: number): void {
    for (const [id, cached] of this.cache)
      if (now - cached.seenAt > 2 * cached.target.intervalMs) this.cache.delete(id);
  }

  /** Checks cached now (for tests). */
  get size(): number {
    return this.cache.size;
  }
}
