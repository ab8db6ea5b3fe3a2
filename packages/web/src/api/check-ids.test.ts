import { checkInputSchema, resolveCheck } from '@vigil/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testWebApp } from '../testing.js';
import { sortedCheckIds } from './check-ids.js';

describe('sortedCheckIds', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  beforeEach(async () => {
    t = await testWebApp({ vantages: ['alpha'] });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const check = (id: string) =>
    resolveCheck(checkInputSchema.parse({ id, http: { url: `https://${id}.example.com/` } }), t.ctx.config.defaults);

  it('keeps a sorted list only until the registry changes: created, moved to another owner, deleted', async () => {
    await t.ctx.checks.put(check('b'));
    await t.ctx.checks.createOwned({ ...check('a'), owner: 'team-a' }, 10);
    expect(await sortedCheckIds(t.ctx, undefined)).toEqual(['a', 'b']);
    expect(await sortedCheckIds(t.ctx, 'team-a')).toEqual(['a']);
    await t.ctx.checks.createOwned({ ...check('c'), owner: 'team-a' }, 10);
    expect(await sortedCheckIds(t.ctx, 'team-a')).toEqual(['a', 'c']);
    await t.ctx.checks.put({ ...check('c'), owner: 'team-b' });
    expect(await sortedCheckIds(t.ctx, 'team-a')).toEqual(['a']);
    expect(await sortedCheckIds(t.ctx, 'team-b')).toEqual(['c']);
    await t.ctx.checks.delete('a');
    expect(await sortedCheckIds(t.ctx, undefined)).toEqual(['b', 'c']);
    expect(await sortedCheckIds(t.ctx, 'team-a')).toEqual([]);
    await t.ctx.checks.putMany([check('0')]);
    expect(await sortedCheckIds(t.ctx, undefined)).toEqual(['0', 'b', 'c']);
  });
});
