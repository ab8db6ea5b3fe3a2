import { type FieldIssue, type TokenInput, toFieldIssues, tokenInputSchema } from '@vigil/core';
import { inputError } from './output/field-errors.js';

/** The flags of `vigil tokens create`. */
export interface TokenFlags {
  scope?: string;
  owner?: string;
  name?: string;
  maxChecks?: string;
  minInterval?: string;
  maxVantages?: string;
  rateLimit?: string;
}

const FLAG_OF: Record<string, string> = {
  scope: '--scope',
  owner: '--owner',
  name: '--name',
  'quota.checks': '--max-checks',
  'quota.minInterval': '--min-interval',
  'quota.vantages': '--max-vantages',
  rateLimit: '--rate-limit',
  'rateLimit.max': '--rate-limit',
  'rateLimit.per': '--rate-limit',
};

/** The flag a token field came from (`quota.checks` → `--max-checks`). */
export function tokenFlagFor(path: string): string {
  return FLAG_OF[path] ?? path;
}

function wholeNumber(flag: string, text: string | undefined, issues: FieldIssue[]): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d{1,9}$/.test(text.trim())) return Number(text);
  issues.push({ path: flag, message: 'expected a whole number', received: JSON.stringify(text) });
  return undefined;
}

/** `300/1m` → `{ max: 300, per: '1m' }`. */
function rateLimit(text: string | undefined, issues: FieldIssue[]): TokenInput['rateLimit'] {
  if (text === undefined) return undefined;
  const match = /^\s*(\d{1,9})\s*\/\s*(\S+)\s*$/.exec(text);
  if (match?.[1] && match[2]) return { max: Number(match[1]), per: match[2] };
  issues.push({
    path: '--rate-limit',
    message: 'expected requests/period such as 300/1m',
    received: JSON.stringify(text),
  });
  return undefined;
}

/**
 * The body of a new token, from flags, checked by the same schema as `POST /api/v1/tokens` so an
 * error names the flag. The owner defaults to `admin` for an admin token and is required otherwise.
 */
export function tokenInputFromFlags(flags: TokenFlags): TokenInput {
  const issues: FieldIssue[] = [];
  const owner = flags.owner ?? (flags.scope === 'admin' ? 'admin' : undefined);
  if (owner === undefined && flags.scope !== undefined) {
    issues.push({ path: '--owner', message: `required for a ${flags.scope} token: the team its checks belong to` });
  }
  const checks = wholeNumber('--max-checks', flags.maxChecks, issues);
  const vantages = wholeNumber('--max-vantages', flags.maxVantages, issues);
  const limit = rateLimit(flags.rateLimit, issues);
  if (issues.length > 0) throw inputError(issues);
  const quota = {
    ...(checks !== undefined && { checks }),
    ...(flags.minInterval !== undefined && { minInterval: flags.minInterval }),
    ...(vantages !== undefined && { vantages }),
  };
  const input = {
    ...(flags.name !== undefined && { name: flags.name }),
    owner,
    scope: flags.scope,
    ...(Object.keys(quota).length > 0 && { quota }),
    ...(limit && { rateLimit: limit }),
  };
  const parsed = tokenInputSchema.safeParse(input);
  if (!parsed.success) {
    throw inputError(toFieldIssues(parsed.error, input).map((issue) => ({ ...issue, path: tokenFlagFor(issue.path) })));
  }
  return input as TokenInput;
}
