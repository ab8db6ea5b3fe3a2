import { type Check, isProbed, type SlotJobData, targetRevision, toProbeTarget, vantagesFor } from '@vigil/core';
import { type DesiredScheduler, SLOT_CHUNK_SIZE, slotFingerprints, slotSchedulerId } from './desired-schedulers.js';
import type { DesiredState, SlotHead } from './desired-state.js';
import { slotOffset } from './offset.js';
import type { NamedTargets } from './probe-target-store.js';

/** What the plan keeps of a check: where it is probed and its target, not the whole Check. */
export interface PlannedCheck {
  every: number;
  offset: number;
  /** The vantages probing it (one shared array per distinct list). */
  vantages: readonly string[];
  /** The chunk of its slot at each of `vantages`, in the same order. */
  chunks: number[];
  revision: string;
  target: string;
}

interface Chunk {
  id: string;
  members: Set<string>;
  head: SlotHead | undefined;
}

interface Group {
  vantage: string;
  every: number;
  offset: number;
  chunks: Chunk[];
}

export interface SlotPlanOptions {
  vantages: readonly string[];
  chunkSize?: number;
  shards: number;
  shardOf: (checkId: string) => number;
}

/**
 * The scheduler's desired state, kept between syncs: every probed check's slot chunk at each vantage.
 * A check keeps its chunk while its slot stays the same, and a new member takes the first chunk with
 * room, so one check changed touches only the chunks it leaves and joins (per vantage), never the
 * rest of its slot; `set` answers those chunks' ids. Built afresh, checks fill chunks in id order,
 * as `desiredSchedulers` does.
 */
export class SlotPlan implements DesiredState {
  private readonly checks = new Map<string, PlannedCheck>();
  private readonly groups = new Map<string, Group>();
  private readonly chunkById = new Map<string, { group: Group; chunk: Chunk }>();
  /** vantage → targets a shard of its store should hold. */
  private readonly counts = new Map<string, number[]>();
  private readonly vantageLists = new Map<string, readonly string[]>();
  private readonly chunkSize: number;

  constructor(private readonly options: SlotPlanOptions) {
    this.chunkSize = options.chunkSize ?? SLOT_CHUNK_SIZE;
  }

  /**
   * A plan of `checks`; a check `previous` placed in the same slot keeps its chunk there (so a full
   * re-read moves nobody), the others fill chunks in id order.
   */
  static build(checks: readonly Check[], options: SlotPlanOptions, previous?: SlotPlan): SlotPlan {
    const plan = new SlotPlan(options);
    const planned = new Map<string, PlannedCheck>();
    for (const check of checks) plan.collect(planned, check);
    return plan.place(planned, previous);
  }

  /**
   * `build` from checks read a page at a time (`CheckRegistry.eachPage`): only what the plan keeps
   * of each is held, never every Check at once (at 1,000,000 they are ~1 GB).
   */
  static async read(
    pages: (visit: (checks: Check[]) => void) => Promise<void>,
    options: SlotPlanOptions,
    previous?: SlotPlan,
  ): Promise<SlotPlan> {
    const plan = new SlotPlan(options);
    const planned = new Map<string, PlannedCheck>();
    await pages((checks) => {
      for (const check of checks) plan.collect(planned, check);
    });
    return plan.place(planned, previous);
  }

  private collect(planned: Map<string, PlannedCheck>, check: Check): void {
    const next = this.toPlanned(check);
    if (next) planned.set(check.id, next);
    else planned.delete(check.id);
  }

  /** Places checks in id order: first those keeping their chunk from `previous`, then the rest. */
  private place(planned: Map<string, PlannedCheck>, previous: SlotPlan | undefined): SlotPlan {
    const ids = [...planned.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const later: string[] = [];
    for (const id of ids) {
      const next = planned.get(id);
      const before = previous?.checks.get(id);
      if (next && !(before && this.keepChunks(id, next, before))) later.push(id);
    }
    for (const id of later) this.set(id, planned.get(id));
    return this;
  }

  /** What the plan keeps of `check`; undefined when nothing probes it (paused, a heartbeat, no vantage). */
  toPlanned(check: Check): PlannedCheck | undefined {
    if (check.paused || !isProbed(check)) return undefined;
    const list = vantagesFor(check, this.options.vantages);
    if (list.length === 0) return undefined;
    const key = list.join('\n');
    const vantages = this.vantageLists.get(key) ?? list;
    this.vantageLists.set(key, vantages);
    const target = JSON.stringify(toProbeTarget(check));
    const every = check.intervalMs;
    return {
      every,
      offset: slotOffset(check.id, every),
      vantages,
      chunks: [],
      revision: targetRevision(target),
      target,
    };
  }

  get checkCount(): number {
    return this.checks.size;
  }

  /**
   * Puts a check (`undefined`: probed nowhere) where `next` says; answers the ids of the slot chunks
   * whose members or a member's revision changed.
   */
  set(id: string, next: PlannedCheck | undefined): Set<string> {
    const touched = new Set<string>();
    const prev = this.checks.get(id);
    const kept = new Map<string, number>();
    if (prev)
      prev.vantages.forEach((vantage, i) => {
        const chunk = prev.chunks[i] ?? 0;
        if (next && next.every === prev.every && next.offset === prev.offset && next.vantages.includes(vantage))
          kept.set(vantage, chunk);
        else this.leave(id, this.group(vantage, prev.every, prev.offset), chunk, touched);
      });
    if (!next) {
      this.checks.delete(id);
      return touched;
    }
    this.checks.set(id, next);
    next.chunks = next.vantages.map((vantage) => {
      const group = this.group(vantage, next.every, next.offset);
      const at = kept.get(vantage);
      if (at === undefined) return this.join(id, group, touched);
      if (prev?.revision !== next.revision) this.touch(group.chunks[at], touched);
      return at;
    });
    return touched;
  }

  /** Places `planned` in the chunks `before` had it in when its slots are the same; false if not. */
  private keepChunks(id: string, planned: PlannedCheck, before: PlannedCheck): boolean {
    if (planned.every !== before.every || planned.offset !== before.offset) return false;
    if (planned.vantages.join('\n') !== before.vantages.join('\n')) return false;
    planned.chunks = [...before.chunks];
    this.checks.set(id, planned);
    planned.vantages.forEach((vantage, i) => {
      const group = this.group(vantage, planned.every, planned.offset);
      const at = planned.chunks[i] ?? 0;
      const chunk = this.chunkAt(group, at);
      if (chunk.members.size >= this.chunkSize) {
        // A smaller chunk size than before: the overflow finds room elsewhere.
        planned.chunks[i] = this.join(id, group, new Set());
        return;
      }
      chunk.members.add(id);
      this.count(vantage, id, 1);
    });
    return true;
  }

  private join(id: string, group: Group, touched: Set<string>): number {
    let at = group.chunks.findIndex((chunk) => chunk.members.size < this.chunkSize);
    if (at < 0) at = group.chunks.length;
    const chunk = this.chunkAt(group, at);
    chunk.members.add(id);
    this.touch(chunk, touched);
    this.count(group.vantage, id, 1);
    return at;
  }

  private leave(id: string, group: Group, at: number, touched: Set<string>): void {
    const chunk = group.chunks[at];
    if (!chunk?.members.delete(id)) return;
    this.touch(chunk, touched);
    this.count(group.vantage, id, -1);
  }

  private touch(chunk: Chunk | undefined, touched: Set<string>): void {
    if (!chunk) return;
    chunk.head = undefined;
    touched.add(chunk.id);
  }

  private count(vantage: string, id: string, step: number): void {
    const counts = this.counts.get(vantage) ?? new Array<number>(this.options.shards).fill(0);
    this.counts.set(vantage, counts);
    const shard = this.options.shardOf(id);
    counts[shard] = (counts[shard] ?? 0) + step;
  }

  private group(vantage: string, every: number, offset: number): Group {
    const key = `${vantage}|${every}|${offset}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { vantage, every, offset, chunks: [] };
      this.groups.set(key, group);
    }
    return group;
  }

  private chunkAt(group: Group, at: number): Chunk {
    for (let i = group.chunks.length; i <= at; i++) {
      const chunk: Chunk = {
        id: slotSchedulerId({ every: group.every, offset: group.offset, chunk: i, vantage: group.vantage }),
        members: new Set(),
        head: undefined,
      };
      group.chunks.push(chunk);
      this.chunkById.set(chunk.id, { group, chunk });
    }
    const chunk = group.chunks[at];
    if (!chunk) throw new Error(`no chunk ${at}`);
    return chunk;
  }

  // DesiredState: what a sync makes Redis hold.

  get size(): number {
    let size = 0;
    for (const { chunk } of this.chunkById.values()) if (chunk.members.size > 0) size++;
    return size;
  }

  *heads(): Iterable<SlotHead> {
    for (const { group, chunk } of this.chunkById.values()) {
      if (chunk.members.size === 0) continue;
      chunk.head ??= headOf(this.materialize(group, chunk));
      yield chunk.head;
    }
  }

  has(slotId: string): boolean {
    return (this.chunkById.get(slotId)?.chunk.members.size ?? 0) > 0;
  }

  get(slotId: string): DesiredScheduler | undefined {
    const found = this.chunkById.get(slotId);
    if (!found || found.chunk.members.size === 0) return undefined;
    const slot = this.materialize(found.group, found.chunk, true);
    found.chunk.head = headOf(slot);
    return slot;
  }

  targets(): ReadonlyMap<string, NamedTargets> {
    return new Map(this.options.vantages.map((vantage) => [vantage, this.targetsOf(vantage)]));
  }

  shardCounts(vantage: string): readonly number[] {
    return this.counts.get(vantage) ?? new Array<number>(this.options.shards).fill(0);
  }

  private targetsOf(vantage: string): NamedTargets {
    const checks = this.checks;
    return {
      shardCounts: () => this.shardCounts(vantage),
      *keys() {
        for (const [id, planned] of checks) if (planned.vantages.includes(vantage)) yield id;
      },
      get(id) {
        const planned = checks.get(id);
        return planned?.vantages.includes(vantage) ? planned.target : undefined;
      },
    };
  }

  private materialize(group: Group, chunk: Chunk, withTargets = false): DesiredScheduler {
    const { vantage, every, offset } = group;
    const members: Record<string, string> = {};
    const targets: Record<string, string> = {};
    for (const id of [...chunk.members].sort()) {
      const planned = this.checks.get(id);
      members[id] = planned?.revision ?? '';
      if (withTargets) targets[id] = planned?.target ?? '';
    }
    const data: SlotJobData = { slot: chunk.id, vantage, intervalMs: every };
    return {
      id: chunk.id,
      vantage,
      every,
      offset,
      data,
      members,
      targets,
      ...slotFingerprints(every, offset, data, members),
    };
  }
}

/** A slot's fingerprints alone: what a sync compares, kept without the members they digest. */
function headOf(slot: DesiredScheduler): SlotHead {
  const { id, vantage, fingerprint, membersFingerprint } = slot;
  return { id, vantage, fingerprint, membersFingerprint };
}
