import { isIP } from 'node:net';
import { type PolicyTarget, policyHostsOf } from '../checks/kinds/registry.js';
import type { FieldIssue } from '../errors/errors.js';
import { renderValue } from '../errors/issues.js';
import type { GuardVerdict, TargetGuard } from './target-guard.js';

export type { PolicyTarget };

const LOOPBACK = '127.0.0.1';
const METADATA = '169.254.169.254';
/** Cloud metadata services' well-known names (GCE, AWS), which never need public DNS to answer. */
const METADATA_NAMES = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

/**
 * Refuses, at registration, a target that is literally not public: an IP in a private, loopback,
 * link-local (metadata), unspecified or otherwise special range however it is spelled, `localhost`
 * and `*.localhost`, and the metadata services' names. No DNS is asked, so a name that merely
 * resolves to a private address passes here; the prober's guard still refuses it at connect time.
 */
export function targetPolicyIssues(check: PolicyTarget, guard: TargetGuard): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const { path, host, written } of policyHostsOf(check)) {
    const verdict = host === undefined ? undefined : judge(host, guard);
    if (verdict && !verdict.allowed) issues.push(issue(path, verdict.reason, written));
  }
  return issues;
}

/**
 * The addresses a target means by its spelling alone: an IP literal (however written), `localhost`
 * (loopback), a metadata service's name. Undefined when only DNS could say (or the target does not
 * parse): a per-check allowance can only name what it lets through.
 */
export function literalTargetRanges(check: PolicyTarget): string[] | undefined {
  const hosts = policyHostsOf(check);
  if (hosts.length === 0) return undefined;
  const ranges: string[] = [];
  for (const { host } of hosts) {
    const literal = host === undefined ? undefined : literalRanges(host);
    if (!literal) return undefined;
    ranges.push(...literal);
  }
  return ranges;
}

function literalRanges(host: string): string[] | undefined {
  if (isIP(host) !== 0) return [host];
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return ['127.0.0.0/8', '::1'];
  if (METADATA_NAMES.has(name)) return [METADATA];
  return undefined;
}

function issue(path: string, reason: string, received: string): FieldIssue {
  return { path, message: reason, received: renderValue(received) };
}

/** An IP by its range; a name only when it means a fixed address by definition, judged as that address. */
function judge(host: string, guard: TargetGuard): GuardVerdict {
  if (isIP(host) !== 0) return guard.check(host);
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return guard.check(LOOPBACK, `${host} (always ${LOOPBACK})`);
  if (METADATA_NAMES.has(name)) return guard.check(METADATA, `${host} (the cloud metadata service, ${METADATA})`);
  return { allowed: true };
}
