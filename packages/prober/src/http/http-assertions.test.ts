import { describe, expect, it } from 'vitest';
import { bodyFailure, readJsonPath, statusFailure } from './http-assertions.js';

const document = { a: { b: [10, { c: 'deep' }] }, 'odd key': false, empty: null };

describe('the JSONPath subset of json assertions', () => {
  it.each([
    ['$', document],
    ['$.a.b[0]', 10],
    ['$.a.b[1].c', 'deep'],
    ['$["odd key"]', false],
    ['$.empty', null],
  ])('reads %s', (path, value) => {
    expect(readJsonPath(document, path)).toEqual({ exists: true, value });
  });

  it.each(['$.missing', '$.a.b[2]', '$.a.b.c', '$.constructor', '$.a.toString', '$..a'])(
    'finds nothing at %s',
    (path) => {
      expect(readJsonPath(document, path).exists).toBe(false);
    },
  );
});

describe('assertion messages', () => {
  it('say the expected statuses as the check wrote them', () => {
    const ranges = [
      { min: 200, max: 299 },
      { min: 301, max: 301 },
      { min: 400, max: 404 },
    ];
    expect(statusFailure(500, ranges)).toBe('expected status 2xx, 301, 400-404, got 500');
    expect(statusFailure(204, ranges)).toBeUndefined();
  });

  it('treat a json path without equals as "exists", even when the value is falsy', () => {
    const status = [{ min: 200, max: 299 }];
    expect(bodyFailure('{"ok":false}', { status, json: { path: '$.ok' } }, true)).toBeUndefined();
    expect(bodyFailure('{}', { status, json: { path: '$.ok' } }, true)).toBe(
      'expected $.ok to exist; found nothing there',
    );
  });

  it('shorten what was found', () => {
    const status = [{ min: 200, max: 299 }];
    const message = bodyFailure('x'.repeat(10_000), { status, bodyContains: 'y' }, true) ?? '';
    expect(message.length).toBeLessThan(300);
    expect(message).toContain('…');
  });
});
