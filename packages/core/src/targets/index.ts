/** Which addresses a probe may reach: the target policy at registration and the guard at connect time. */
export { TargetGuard } from './target-guard.js';
export { targetPolicyIssues } from './target-policy.js';
