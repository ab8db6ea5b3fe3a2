/** Which addresses a probe may reach: the target policy at registration and the guard at connect time. */

export { unbracket } from './host-spelling.js';
export {
  type AllowanceSubject,
  type PrivateTargetAllowance,
  TargetAllowances,
} from './target-allowances.js';
export { TargetGuard, type TargetGuardOptions } from './target-guard.js';
export { literalTargetRanges, targetPolicyIssues } from './target-policy.js';
