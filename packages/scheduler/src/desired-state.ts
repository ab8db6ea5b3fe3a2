import type { DesiredScheduler } from './desired-schedulers.js';
import type { NamedTargets } from './probe-target-store.js';

/** What a sync compares of a slot: which it is and its fingerprints. */
export type SlotHead = Pick<DesiredScheduler, 'id' | 'vantage' | 'fingerprint' | 'membersFingerprint'>;

/**
 * The slots a sync makes Redis hold: a full computation (`desiredSchedulers`, a map) or the
 * scheduler's plan kept between syncs (`SlotPlan`), which materializes a slot only when asked.
 */
export interface DesiredState {
  /** Slots with at least one member. */
  readonly size: number;
  heads(): Iterable<SlotHead>;
  has(slotId: string): boolean;
  get(slotId: string): DesiredScheduler | undefined;
  /** vantage → every target its slots name. */
  targets(): ReadonlyMap<string, NamedTargets>;
  /** How many targets each shard of a vantage's store holds, when kept (else counted from `targets`). */
  shardCounts?(vantage: string): readonly number[];
}

/** A full computation as a DesiredState; its targets are gathered once, when first asked. */
export function desiredStateOf(desired: ReadonlyMap<string, DesiredScheduler>): DesiredState {
  let named: Map<string, Map<string, string>> | undefined;
  return {
    size: desired.size,
    heads: () => desired.values(),
    has: (slotId) => desired.has(slotId),
    get: (slotId) => desired.get(slotId),
    targets() {
      if (!named) {
        named = new Map();
        for (const slot of desired.values()) {
          const byId = named.get(slot.vantage) ?? new Map<string, string>();
          named.set(slot.vantage, byId);
          for (const [id, json] of Object.entries(slot.targets)) byId.set(id, json);
        }
      }
      return named;
    },
  };
}
