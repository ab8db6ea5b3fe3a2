import { createHash } from 'node:crypto';
import { type Check, type ProbeJobData, schedulerId, toProbeTarget } from '@vigil/core';
import { roundOffset } from './offset.js';

/** One BullMQ job scheduler the registry calls for: a check probed from one vantage. */
export interface DesiredScheduler {
  id: string;
  vantage: string;
  every: number;
  offset: number;
  data: ProbeJobData;
  /** Changes whenever anything the probe or its timing depends on changes. */
  fingerprint: string;
}

/** Which vantages probe a check: the ones it names that exist, or all of them. */
export function vantagesFor(check: Check, vantageIds: readonly string[]): string[] {
  if (check.vantages.length === 0) return [...vantageIds];
  return check.vantages.filter((vantage) => vantageIds.includes(vantage));
}

/** Every scheduler the registry calls for: paused checks have none. */
export function desiredSchedulers(
  checks: readonly Check[],
  vantageIds: readonly string[],
): Map<string, DesiredScheduler> {
  const desired = new Map<string, DesiredScheduler>();
  for (const check of checks) {
    if (check.paused) continue;
    const target = toProbeTarget(check);
    const offset = roundOffset(check.id, check.intervalMs);
    for (const vantage of vantagesFor(check, vantageIds)) {
      const id = schedulerId(check.id, vantage);
      const data: ProbeJobData = { check: target, vantage };
      const fingerprint = createHash('sha1')
        .update(JSON.stringify([check.intervalMs, offset, data]))
        .digest('base64url');
      desired.set(id, { id, vantage, every: check.intervalMs, offset, data, fingerprint });
    }
  }
  return desired;
}

/** The vantage a scheduler id belongs to (`<check>@<vantage>`). */
export function vantageOfScheduler(id: string): string | undefined {
  const at = id.lastIndexOf('@');
  return at > 0 ? id.slice(at + 1) : undefined;
}
