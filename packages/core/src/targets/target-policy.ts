import { isIP } from 'node:net';
import type { FieldIssue } from '../errors/errors.js';
import { renderValue } from '../errors/issues.js';
import type { GuardVerdict, TargetGuard } from './target-guard.js';

/** The parts of a check (or an API body) that say where it probes. */
export interface PolicyTarget {
  http?: { url: string } | undefined;
  tcp?: { host: string } | undefined;
}

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
  if (check.http) {
    const host = urlHost(check.http.url);
    const verdict = host === undefined ? undefined : judge(host, guard);
    if (verdict && !verdict.allowed) issues.push(issue('http.url', verdict.reason, check.http.url));
  }
  if (check.tcp) {
    const verdict = judge(canonicalHost(check.tcp.host), guard);
    if (!verdict.allowed) issues.push(issue('tcp.host', verdict.reason, check.tcp.host));
  }
  return issues;
}

/**
 * The addresses a target means by its spelling alone: an IP literal (however written), `localhost`
 * (loopback), a metadata service's name. Undefined when only DNS could say (or the target does not
 * parse): a per-check allowance can only name what it lets through.
 */
export function literalTargetRanges(check: PolicyTarget): string[] | undefined {
  const host = check.http ? urlHost(check.http.url) : check.tcp ? canonicalHost(check.tcp.host) : undefined;
  if (host === undefined) return undefined;
  if (isIP(host) !== 0) return [host];
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return ['127.0.0.0/8', '::1'];
  if (METADATA_NAMES.has(name)) return [METADATA];
  return undefined;
}

function issue(path: string, reason: string, received: string): FieldIssue {
  return { path, message: reason, received: renderValue(received) };
}

/** A URL's host as the WHATWG parser normalised it (`2130706433` → `127.0.0.1`), without IPv6 brackets. */
function urlHost(url: string): string | undefined {
  try {
    return unbracket(new URL(url).hostname);
  } catch {
    return undefined;
  }
}

/**
 * A TCP host as the OS resolver would read it: `inet_aton` accepts `2130706433`, `0x7f000001` and `127.1`
 * as the WHATWG parser does. Anything that is not a bare host (a path, a user, a port) is left as given.
 */
function canonicalHost(host: string): string {
  if (/[/?#@\\\s]/.test(host)) return host;
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return urlHost(`http://${bracketed}/`) ?? unbracket(host);
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** An IP by its range; a name only when it means a fixed address by definition, judged as that address. */
function judge(host: string, guard: TargetGuard): GuardVerdict {
  if (isIP(host) !== 0) return guard.check(host);
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return guard.check(LOOPBACK, `${host} (always ${LOOPBACK})`);
  if (METADATA_NAMES.has(name)) return guard.check(METADATA, `${host} (the cloud metadata service, ${METADATA})`);
  return { allowed: true };
}
