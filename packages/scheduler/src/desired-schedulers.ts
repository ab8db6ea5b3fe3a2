import { createHash } from 'node:crypto';
import { type Check, isProbed, type SlotJobData, targetRevision, toProbeTarget, vantagesFor } from '@vigil/core';
import { slotOffset } from './offset.js';

/**
 * The most checks one slot job probes; a larger slot is split into chunks of at most this many. Each
 * job costs Redis the same (~0.7 ms of BullMQ scripts: claim, finish, next iteration, wake-ups), so
 * 1,000 rather than 200 cuts that per probe ~4× (`pnpm bench slot-jobs`); a prober starts 1,000
 * probes in well under a second, and the probes of one slot fire together whatever its chunks.
 */
export const SLOT_CHUNK_SIZE = 1_000;

/**
 * One BullMQ job scheduler the registry calls for: one chunk of the checks a vantage probes at the
 * same interval and offset slot. Its number grows with intervals and slots, not with checks.
 */
export interface DesiredScheduler {
  /** `slot.<interval>.<offset>.<chunk>@<vantage>`: never a check id (those have no dots). */
  id: string;
  vantage: string;
  every: number;
  offset: number;
  data: SlotJobData;
  /** check id → revision of its probe target: the lines of the slot's string, what `membersFingerprint` digests. */
  members: Record<string, string>;
  /** check id → its ProbeTarget JSON, kept in its vantage's probe target store. */
  targets: Record<string, string>;
  /** Changes whenever the job scheduler itself (timing, data) must change. */
  fingerprint: string;
  /**
   * Changes whenever the members (or one member's probe target) change, and with the slots' layout
   * (a slot applied in the layout before is written again); the head of the slot's string.
   */
  membersFingerprint: string;
}

/** Bumped when the slots' layout in Redis changes, so every slot is written again in the new one. */
const SLOT_LAYOUT = 'slot-members';

function digest(value: unknown): string {
  return createHash('sha1').update(JSON.stringify(value)).digest('base64url');
}

/** A slot's `fingerprint` and `membersFingerprint` (`members` in id order). */
export function slotFingerprints(
  every: number,
  offset: number,
  data: SlotJobData,
  members: Record<string, string>,
): Pick<DesiredScheduler, 'fingerprint' | 'membersFingerprint'> {
  return { fingerprint: digest([every, offset, data]), membersFingerprint: digest([SLOT_LAYOUT, members]) };
}

/** The id of a slot scheduler; its `@<vantage>` suffix is what `vantageOfScheduler` reads. */
export function slotSchedulerId(slot: { every: number; offset: number; chunk: number; vantage: string }): string {
  return `slot.${slot.every}.${slot.offset}.${slot.chunk}@${slot.vantage}`;
}

/** Every slot scheduler the registry calls for: paused checks, and kinds nothing probes (heartbeats), are in none. */
export function desiredSchedulers(
  checks: readonly Check[],
  vantageIds: readonly string[],
  chunkSize = SLOT_CHUNK_SIZE,
): Map<string, DesiredScheduler> {
  // (vantage, interval, offset) → check id → target revision
  const slots = new Map<string, { vantage: string; every: number; offset: number; members: Map<string, string> }>();
  const targets = new Map<string, string>();
  for (const check of checks) {
    if (check.paused || !isProbed(check)) continue;
    const every = check.intervalMs;
    const offset = slotOffset(check.id, every);
    const target = JSON.stringify(toProbeTarget(check));
    targets.set(check.id, target);
    const revision = targetRevision(target);
    for (const vantage of vantagesFor(check, vantageIds)) {
      const key = `${vantage}|${every}|${offset}`;
      const slot = slots.get(key) ?? { vantage, every, offset, members: new Map<string, string>() };
      slots.set(key, slot);
      slot.members.set(check.id, revision);
    }
  }
  const desired = new Map<string, DesiredScheduler>();
  for (const { vantage, every, offset, members } of slots.values()) {
    const ids = [...members.keys()].sort();
    for (let chunk = 0; chunk * chunkSize < ids.length; chunk++) {
      const id = slotSchedulerId({ every, offset, chunk, vantage });
      const chunkMembers: Record<string, string> = {};
      const chunkTargets: Record<string, string> = {};
      for (const checkId of ids.slice(chunk * chunkSize, (chunk + 1) * chunkSize)) {
        chunkMembers[checkId] = members.get(checkId) ?? '';
        chunkTargets[checkId] = targets.get(checkId) ?? '';
      }
      const data: SlotJobData = { slot: id, vantage, intervalMs: every };
      desired.set(id, {
        id,
        vantage,
        every,
        offset,
        data,
        members: chunkMembers,
        targets: chunkTargets,
        ...slotFingerprints(every, offset, data, chunkMembers),
      });
    }
  }
  return desired;
}

/** The vantage a scheduler id belongs to (`<slot or check>@<vantage>`). */
export function vantageOfScheduler(id: string): string | undefined {
  const at = id.lastIndexOf('@');
  return at > 0 ? id.slice(at + 1) : undefined;
}
