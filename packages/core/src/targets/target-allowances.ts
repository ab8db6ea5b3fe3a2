import { checkTarget, type KindSettings } from '../checks/kinds/registry.js';
import { TargetGuard, type TargetGuardOptions } from './target-guard.js';

/** `allowPrivateTarget: true` on one check of vigil.yaml: its id, the exact target it was written with, and what that target names. */
export interface PrivateTargetAllowance {
  checkId: string;
  /** Where the check sits in vigil.yaml's `checks`, for errors that name it. */
  index: number;
  /** The check's target as `checkTarget` writes it (`tcp 127.0.0.1:5432`). */
  target: string;
  /** The addresses the target names by its spelling (`literalTargetRanges`). */
  ranges: string[];
}

/** The part of a probe job the allowance is matched against. */
export type AllowanceSubject = { id: string } & KindSettings;

/**
 * The prober's side of `allowPrivateTarget`: a check probes under the fleet's guard, widened only when
 * its id and its target are exactly those vigil.yaml allowed, and then only to the addresses that
 * target names by its spelling (a redirect or a DNS answer elsewhere is still refused).
 */
export class TargetAllowances {
  private readonly byCheck = new Map<string, { allowance: PrivateTargetAllowance; guard: TargetGuard }>();

  constructor(options: TargetGuardOptions & { allowances?: readonly PrivateTargetAllowance[] | undefined }) {
    for (const allowance of options.allowances ?? []) {
      const guard = new TargetGuard({ ...options, allowTargets: [...options.allowTargets, ...allowance.ranges] });
      this.byCheck.set(allowance.checkId, { allowance, guard });
    }
  }

  /** The widened guard when vigil.yaml allowed exactly this check id and target; otherwise undefined (the fleet's guard applies). */
  guardFor(check: AllowanceSubject): TargetGuard | undefined {
    const entry = this.byCheck.get(check.id);
    return entry && entry.allowance.target === checkTarget(check) ? entry.guard : undefined;
  }
}
