import { TargetGuard, type TargetGuardOptions } from './target-guard.js';
import { literalTargetRanges, type PolicyTarget } from './target-policy.js';

/** `allowPrivateTarget: true` on one check of vigil.yaml: its id and the exact target it was written with. */
export interface PrivateTargetAllowance {
  checkId: string;
  /** Where the check sits in vigil.yaml's `checks`, for errors that name it. */
  index: number;
  http?: { url: string } | undefined;
  tcp?: { host: string; port: number } | undefined;
}

/** The part of a probe job the allowance is matched against. */
export interface AllowanceSubject {
  id: string;
  http?: { url: string } | undefined;
  tcp?: { host: string; port: number } | undefined;
}

function sameTarget(
  a: AllowanceSubject | PrivateTargetAllowance,
  b: AllowanceSubject | PrivateTargetAllowance,
): boolean {
  if (a.http || b.http) return a.http?.url === b.http?.url;
  return a.tcp?.host === b.tcp?.host && a.tcp?.port === b.tcp?.port;
}

/**
 * The prober's side of `allowPrivateTarget`: a check probes under the fleet's guard, widened only when
 * its id and its target are exactly those vigil.yaml allowed, and then only to the addresses that
 * target names by its spelling (a redirect or a DNS answer elsewhere is still refused).
 */
export class TargetAllowances {
  private readonly byCheck = new Map<string, { allowance: PrivateTargetAllowance; guard: TargetGuard }>();

  constructor(options: TargetGuardOptions & { allowances?: readonly PrivateTargetAllowance[] | undefined }) {
    for (const allowance of options.allowances ?? []) {
      const ranges = literalTargetRanges(allowance as PolicyTarget);
      if (!ranges) continue;
      const guard = new TargetGuard({ ...options, allowTargets: [...options.allowTargets, ...ranges] });
      this.byCheck.set(allowance.checkId, { allowance, guard });
    }
  }

  /** The widened guard when vigil.yaml allowed exactly this check id and target; otherwise undefined (the fleet's guard applies). */
  guardFor(check: AllowanceSubject): TargetGuard | undefined {
    const entry = this.byCheck.get(check.id);
    return entry && sameTarget(entry.allowance, check) ? entry.guard : undefined;
  }
}
