import { describeIssues, type FieldIssue, VigilError } from '@vigil/core';
import { ApiError } from '../api-client.js';

/** Codes whose issues are about what the caller sent, so worth naming in the caller's terms. */
const ABOUT_INPUT = new Set(['VALIDATION', 'QUOTA_EXCEEDED', 'CONFLICT', 'CONFIG_INVALID']);

/**
 * Renames the fields of an error about the request body into what the user wrote: a flag
 * (`--interval`) or a place in a file (`vigil.yaml checks[2].http.url`). Other errors pass unchanged.
 */
export function relabelIssues(err: unknown, label: (path: string) => string): unknown {
  if (!(err instanceof VigilError) || !ABOUT_INPUT.has(err.code) || err.issues.length === 0) return err;
  const located = err.issues as readonly (FieldIssue & { in?: string })[];
  if (located.some((issue) => issue.in !== undefined && issue.in !== 'body')) return err;
  const issues = located.map(({ in: _in, ...issue }) => ({ ...issue, path: label(issue.path) }));
  const message = describeIssues(issues);
  return err instanceof ApiError
    ? new ApiError(err.code, message, err.status, issues)
    : new VigilError(err.code, message, issues);
}

/** Local validation failures, in the same words the API would use. */
export function inputError(issues: readonly FieldIssue[]): VigilError {
  return new VigilError('VALIDATION', describeIssues(issues), issues);
}
