import {
  type ApiToken,
  apiCheckIssues,
  type Check,
  type CheckInput,
  checkIssues,
  describeIssues,
  type FieldIssue,
  formatDuration,
  resolveCheck,
  targetPolicyIssues,
  tenancyIssues,
  VigilError,
} from '@vigil/core';
import type { WebContext } from '../context.js';
import { tenant } from './ownership.js';

function quotaIssues(ctx: WebContext, check: Check, token: ApiToken): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const { quota } = token;
  if (check.intervalMs < quota.minIntervalMs) {
    issues.push({
      path: 'interval',
      message: `this token's quota allows an interval of at least ${formatDuration(quota.minIntervalMs)}`,
      received: JSON.stringify(formatDuration(check.intervalMs)),
    });
  }
  const vantages = check.vantages.length > 0 ? check.vantages.length : ctx.config.vantages.length;
  if (vantages > quota.vantages) {
    issues.push({
      path: 'vantages',
      message: `this token's quota allows at most ${quota.vantages} vantages per check; this one probes from ${vantages}${
        check.vantages.length === 0 ? ' (all of them); list the ones you need' : ''
      }`,
    });
  }
  return issues;
}

/**
 * Turns a validated API body into the check to store, or refuses it: references the fleet's config
 * must resolve (400), what only vigil.yaml may leave out must be given (400: a DNS check's resolver),
 * literal private targets the policy forbids (400), components, escalation
 * policies and publishing the token's owner neither owns nor is granted (403, naming the field),
 * and the token's quota (403).
 */
export function admitCheck(ctx: WebContext, input: CheckInput, token: ApiToken, owner: string | undefined): Check {
  const resolved = resolveCheck(input, ctx.config.defaults);
  const check: Check = { ...resolved, ...(owner !== undefined && { owner }) };
  const invalid = [
    ...checkIssues(check, ctx.config),
    ...targetPolicyIssues(check, ctx.guard),
    ...apiCheckIssues(check),
  ];
  if (invalid.length > 0) throw new VigilError('VALIDATION', describeIssues(invalid), invalid);
  const denied = tenancyIssues(ctx.config, check, tenant(token));
  if (denied.length > 0) throw new VigilError('FORBIDDEN', `not granted: ${describeIssues(denied)}`, denied);
  const overQuota = quotaIssues(ctx, check, token);
  if (overQuota.length > 0) throw new VigilError('QUOTA_EXCEEDED', `quota: ${describeIssues(overQuota)}`, overQuota);
  return check;
}
