import { createHash } from 'node:crypto';
import {
  decodeSlot,
  decodeStoredTarget,
  groupByShard,
  type ProbeTarget,
  type Redis,
  type RedisKeys,
  SLOT_FINGERPRINT_LENGTH,
  type SlotMember,
  targetRevision,
} from '@vigil/core';

interface Cached {
  target: ProbeTarget;
  /** Epoch ms this prober last found the check in one of its slots. */
  seenAt: number;
}

/** A slot as last read: its members' fingerprint and its targets' cache keys. */
interface CachedSlot {
  fingerprint: string;
  members: string[];
  /** Members whose target could not be read (not written yet, or newer): read again next round. */
  unread: SlotMember[];
  /**
   * For an unread member whose target is stored at another revision: the cache key of the target
   * as stored, probed in its place until the slot names it (never cached under the named key).
   */
  standIns: Map<string, string>;
}

/**
 * The checks of a slot, as probe targets. Every round reads the head of the slot's string (its
 * members' fingerprint, core's slot-targets.ts); the whole string only when that changed, and then,
 * from the probe target store, only the targets whose revision this process has not cached: an
 * unchanged slot costs 27 bytes a round. A prober never reads the check registry. A slot not yet
 * rewritten since an upgrade is read in the layout it has: targets inline in its string, or the two
 * hashes before that.
 */
export class SlotMembers {
  /**
   * Targets by `<id> <revision>`; from a string of the layout before, by a digest of their JSON
   * line; from the hashes before that, by `<id>\n<fingerprint>`.
   */
  private readonly cache = new Map<string, Cached>();
  private readonly slots = new Map<string, CachedSlot>();

  constructor(
    private readonly ctx: {
      redis: Redis;
      keys: Pick<RedisKeys, 'slot' | 'slotMembers' | 'slotTargets' | 'probeTargets' | 'shardOf'>;
      vantage: string;
      /** A member whose stored target does not decode or parse: skipped this round (told its id only). */
      onUnreadable?: (checkId: string) => void;
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
    if (cached.unread.length > 0)
      ({ unread: cached.unread, standIns: cached.standIns } = await this.readTargets(cached.unread, now));
    const { standIns } = cached;
    return this.collect(
      cached.members.map((member) => standIns.get(member) ?? member),
      now,
    );
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
    const { fingerprint, members, lines } = decodeSlot(text);
    const inline = lines.map((line) => {
      const digest = createHash('sha1').update(line).digest('base64url');
      if (!this.cache.has(digest)) this.cache.set(digest, { target: JSON.parse(line) as ProbeTarget, seenAt: now });
      return digest;
    });
    const unread = members.filter((member) => !this.cache.has(cacheKey(member)));
    return { fingerprint, members: [...inline, ...members.map(cacheKey)], unread, standIns: new Map() };
  }

  /**
   * Reads targets from the store (one HMGET a shard) and caches each under the revision of the JSON
   * read (not the one the slot names: the store may hold another); answers the members to read again
   * next round: not in the store (skipped meanwhile), or stored at another revision (newer, its slot
   * about to be rewritten: probed as stored meanwhile, through `standIns`).
   */
  private async readTargets(
    members: readonly SlotMember[],
    now: number,
  ): Promise<{ unread: SlotMember[]; standIns: Map<string, string> }> {
    const { redis, keys } = this.ctx;
    const groups = groupByShard(keys, members, (member) => member.id);
    const replies = await Promise.all(
      groups.map(({ shard, items }) =>
        // As Buffers: a value is deflated bytes (core's encodeStoredTarget), which UTF-8 would mangle.
        redis.hmgetBuffer(keys.probeTargets(this.ctx.vantage, shard), ...items.map((member) => member.id)),
      ),
    );
    const unread: SlotMember[] = [];
    const standIns = new Map<string, string>();
    groups.forEach(({ items }, g) => {
      items.forEach((member, i) => {
        const value = replies[g]?.[i];
        const json = value == null ? undefined : decodeStoredTarget(value);
        const target = json === undefined ? undefined : parseTarget(json);
        if (value != null && target === undefined) this.ctx.onUnreadable?.(member.id);
        if (json === undefined || target === undefined) {
          unread.push(member);
          return;
        }
        const stored = cacheKey({ id: member.id, revision: targetRevision(json) });
        this.cache.set(stored, { target, seenAt: now });
        if (stored === cacheKey(member)) return;
        unread.push(member);
        standIns.set(cacheKey(member), stored);
      });
    });
    return { unread, standIns };
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
    const key = (id: string) => `${id}\n${members[id] ?? ''}`;
    const missing = ids.filter((id) => !this.cache.has(key(id)));
    if (missing.length > 0) {
      const json = await redis.hmget(keys.slotTargets(vantage, slot), ...missing);
      missing.forEach((id, i) => {
        const text = json[i];
        // Rewritten since the members were read: the next round reads it again.
        if (text != null) this.cache.set(key(id), { target: JSON.parse(text) as ProbeTarget, seenAt: now });
      });
    }
    return this.collect(ids.map(key), now);
  }
}

/** A stored target's JSON parsed; undefined when it is not an object (never thrown: one bad value skips one check). */
function parseTarget(json: string): ProbeTarget | undefined {
  try {
    const target: unknown = JSON.parse(json);
    return typeof target === 'object' && target !== null ? (target as ProbeTarget) : undefined;
  } catch {
    return undefined;
  }
}

function cacheKey(member: SlotMember): string {
  return `${member.id} ${member.revision}`;
}
