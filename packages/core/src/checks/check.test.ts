import { describe, expect, it } from 'vitest';
import { toFieldIssues } from '../errors/issues.js';
import { checkInputSchema } from './check.js';

const body = { id: 'web', http: { url: 'https://example.com/' } };

describe("a check's vantages", () => {
  it('refuses a vantage listed more than once, naming the field, the vantage and what was expected', () => {
    const input = { ...body, vantages: ['alpha', 'beta', 'alpha', 'gamma', 'gamma', 'gamma'] };
    const parsed = checkInputSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error && toFieldIssues(parsed.error, input)).toEqual([
      { path: 'vantages', message: 'expected each vantage once; "alpha" is listed twice' },
      { path: 'vantages', message: 'expected each vantage once; "gamma" is listed 3 times' },
    ]);
    expect(checkInputSchema.parse({ ...body, vantages: ['alpha', 'beta'] }).vantages).toEqual(['alpha', 'beta']);
  });
});
