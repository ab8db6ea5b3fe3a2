/** Stable codes for Vigil's faults; edges (CLI, HTTP, jobs) map them to exit codes and statuses. */
export type VigilErrorCode =
  | 'CONFIG_INVALID'
  | 'ENV_INVALID'
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOKEN_INVALID'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'QUOTA_EXCEEDED'
  | 'RATE_LIMITED'
  | 'REDIS_UNAVAILABLE'
  /** The CLI could not reach the Vigil API (nothing listening, DNS, timeout). */
  | 'API_UNREACHABLE';

/** One issue with an input: where it is (`checks[2].http.url`) and what was expected there. */
export interface FieldIssue {
  path: string;
  message: string;
  /** The offending value, rendered short; absent when the field was missing. */
  received?: string;
}

/** The one error family: a stable code, a human message, and for bad input the fields at fault. */
export class VigilError extends Error {
  override readonly name = 'VigilError';
  readonly code: VigilErrorCode;
  readonly issues: readonly FieldIssue[];

  constructor(code: VigilErrorCode, message: string, issues: readonly FieldIssue[] = []) {
    super(message);
    this.code = code;
    this.issues = issues;
  }
}

export function isVigilError(err: unknown, code?: VigilErrorCode): err is VigilError {
  return err instanceof VigilError && (code === undefined || err.code === code);
}
