import { describe, expect, it } from 'vitest';
import { toFieldIssues } from '../errors/issues.js';
import { type Check, checkDefaultsSchema, checkInputSchema, checkToInput, resolveCheck, vantagesFor } from './check.js';
import { decodeStoredCheck } from './stored-check.js';

const defaults = checkDefaultsSchema.parse({});
const body = { id: 'web', http: { url: 'https://example.com/' } };
const FLEET = ['alpha', 'beta', 'gamma'];

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

  it('reads a check stored with a vantage twice (before that was refused), probes it there once, and gives its input form each once', () => {
    const stored: Check = {
      ...resolveCheck(checkInputSchema.parse(body), defaults),
      vantages: ['beta', 'alpha', 'beta', 'mars'],
    };
    // Still readable: the stricter input schema is not what decodes the registry's values.
    expect(decodeStoredCheck('web', JSON.stringify(stored))?.vantages).toEqual(['beta', 'alpha', 'beta', 'mars']);
    expect(vantagesFor(stored, FLEET)).toEqual(['beta', 'alpha']);
    expect(vantagesFor({ vantages: [] }, FLEET)).toEqual(FLEET);
    // What a PATCH merges into parses again, so the check can still be changed.
    expect(checkInputSchema.parse(checkToInput(stored)).vantages).toEqual(['beta', 'alpha', 'mars']);
  });

  it('holds a number quorum stored beside a vantage listed twice to the vantages, so its input form passes', () => {
    const stored: Check = {
      ...resolveCheck(checkInputSchema.parse(body), defaults),
      vantages: ['alpha', 'beta', 'alpha'],
      quorum: 3,
    };
    const input = checkToInput(stored);
    expect(input).toMatchObject({ vantages: ['alpha', 'beta'], quorum: 2 });
    expect(() => resolveCheck(checkInputSchema.parse(input), defaults)).not.toThrow();
  });
});
