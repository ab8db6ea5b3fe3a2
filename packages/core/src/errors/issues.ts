import type { z } from 'zod';
import { type FieldIssue, VigilError } from './errors.js';

/** `['checks', 2, 'http', 'url']` → `checks[2].http.url` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

function valueAt(data: unknown, path: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let current: unknown = data;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !(key in current)) return { found: false };
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: current };
}

/** A URL's user, password and query may be credentials: an error message shows neither. */
function withoutCredentials(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/i, '$1***@').replace(/\?[^#\s]*/, '?…');
}

/** Short rendering of a received value, for error messages; never a whole document, never a URL's credentials. */
export function renderValue(value: unknown, max = 60): string {
  const shown = typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? withoutCredentials(value) : value;
  const text = typeof shown === 'string' ? JSON.stringify(shown) : (JSON.stringify(shown) ?? String(shown));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Turns zod issues into field issues with the received value looked up in the input. */
export function toFieldIssues(error: z.ZodError, input: unknown, basePath: readonly PropertyKey[] = []): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = [...basePath, ...issue.path];
    const at = valueAt(input, issue.path);
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : undefined;
    const message = keys ? `unknown field${keys.length > 1 ? 's' : ''} ${keys.join(', ')}` : issue.message;
    const fieldIssue: FieldIssue = { path: formatPath(path), message };
    // Header values are credentials as often as not: name the field, never echo the value.
    const secret = issue.path.includes('headers');
    if (at.found && !keys && !secret && at.value !== undefined && typeof at.value !== 'object') {
      fieldIssue.received = renderValue(at.value);
    }
    return fieldIssue;
  });
}

/** One line per issue: `checks[2].http.url: expected an http:// or https:// URL (got "ftp://x")` */
export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues
    .map((issue) => `${issue.path}: ${issue.message}${issue.received !== undefined ? ` (got ${issue.received})` : ''}`)
    .join('\n');
}

/** A VALIDATION error for input zod refused: every field issue, and one line per issue as its message. */
export function validationError(error: z.ZodError, input: unknown): VigilError {
  const issues = toFieldIssues(error, input);
  return new VigilError('VALIDATION', describeIssues(issues), issues);
}
