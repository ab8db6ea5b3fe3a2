import { describe, expect, it } from 'vitest';
import { groupByShard, redisKeys, scatterReplies } from './keys.js';

describe('groupByShard and scatterReplies', () => {
  const keys = redisKeys('vt-keys', { shards: 8 });
  const ids = Array.from({ length: 40 }, (_, i) => `check-${i}`);

  it('puts each group’s answers back in the order of the items', () => {
    const groups = groupByShard(keys, ids, (id) => id);
    expect(groups.length).toBeGreaterThan(1);
    // A script's reply per group: one answer per item, here the item itself.
    const replies = groups.map((group): [Error | null, unknown] => [null, group.items.map((id) => id.toUpperCase())]);
    expect(scatterReplies(groups, replies, String)).toEqual(ids.map((id) => id.toUpperCase()));
  });

  it('throws the error of a group whose call failed, and says so when a reply is missing', () => {
    const groups = groupByShard(keys, ids, (id) => id);
    const failed: [Error | null, unknown][] = groups.map(() => [null, []]);
    failed[1] = [new Error('NOSCRIPT'), null];
    expect(() => scatterReplies(groups, failed, String)).toThrow('NOSCRIPT');
    expect(() => scatterReplies(groups, [], String)).toThrow('no reply from Redis');
  });
});
