import type { FileCheckInput } from '../checks/check.js';
import { checkTarget, inputKindSettings } from '../checks/kinds/registry.js';
import type { FieldIssue } from '../errors/errors.js';
import type { PrivateTargetAllowance } from '../targets/target-allowances.js';
import { TargetGuard } from '../targets/target-guard.js';
import { literalTargetRanges, targetPolicyIssues } from '../targets/target-policy.js';

/**
 * vigil.yaml's checks against the target policy the API and the prober use, without DNS: a literal
 * private, loopback, link-local or metadata target is refused with its path (`checks[3].http.url`)
 * unless `allowPrivateTargets` (or `allowTargets`) lets it through, or the check says
 * `allowPrivateTarget: true` — which must then name its target literally, so the prober knows
 * exactly which addresses it allows.
 */
export function configTargetIssues(
  file: { allowPrivateTargets: boolean; allowTargets: string[] },
  checks: readonly FileCheckInput[],
): { issues: FieldIssue[]; allowances: PrivateTargetAllowance[] } {
  const guard = new TargetGuard({ allowPrivateTargets: file.allowPrivateTargets, allowTargets: file.allowTargets });
  const issues: FieldIssue[] = [];
  const allowances: PrivateTargetAllowance[] = [];
  checks.forEach((check, i) => {
    if (!check.allowPrivateTarget) {
      for (const issue of targetPolicyIssues(check, guard)) {
        issues.push({
          ...issue,
          path: `checks[${i}].${issue.path}`,
          message: `${issue.message}, or allowPrivateTarget: true on this check`,
        });
      }
      return;
    }
    const ranges = literalTargetRanges(check);
    if (!ranges) {
      issues.push({
        path: `checks[${i}].allowPrivateTarget`,
        message:
          'expected only on a check whose target is an IP address, localhost or a metadata name; ' +
          'for a name that resolves to a private address, list that address under allowTargets',
      });
      return;
    }
    const target = checkTarget(inputKindSettings(check));
    allowances.push({ checkId: check.id, index: i, target, ranges });
  });
  return { issues, allowances };
}
