import { describe, expect, it } from 'vitest';
import { HostLimiter } from './host-limiter.js';

/** A task that stays running until `finish()` is called. */
function held(log: number[], id: number) {
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return { task: () => done.then(() => log.push(id)), finish: () => finish() };
}

describe('HostLimiter', () => {
  it('runs at most perHost tasks of a host at once and the waiters in arrival order, however many wait', async () => {
    const limiter = new HostLimiter(2);
    const finished: number[] = [];
    // More waiters than the queue's compaction threshold, so serving crosses it.
    const tasks = Array.from({ length: 3_000 }, (_, id) => held(finished, id));
    const runs = tasks.map(({ task }) => limiter.run('a.example:443', task));
    expect(limiter.inFlight('a.example:443')).toBe(2);
    for (const { finish } of tasks) {
      finish();
      await Promise.resolve();
    }
    await Promise.all(runs);
    expect(finished).toEqual(tasks.map((_, id) => id));
    expect(limiter.inFlight('a.example:443')).toBe(0);
  });

  it('serves a caller that asks again first in line before those that came after it', async () => {
    const limiter = new HostLimiter(1);
    const order: string[] = [];
    expect(limiter.acquire('h')).toBeUndefined();
    const a = limiter.acquire('h');
    const b = limiter.acquire('h');
    void b?.then(() => order.push('b'));
    limiter.release('h');
    await a;
    order.push('a1');
    // a was just served and takes its next place first in line: ahead of b, who waited before it asked again.
    const again = limiter.acquire('h', { first: true });
    void again?.then(() => order.push('a2'));
    limiter.release('h');
    await again;
    limiter.release('h');
    await b;
    expect(order).toEqual(['a1', 'a2', 'b']);
  });

  it('does not hold one host back for another', async () => {
    const limiter = new HostLimiter(1);
    const finished: number[] = [];
    const slow = held(finished, 1);
    const first = limiter.run('slow.example:80', slow.task);
    await limiter.run('fast.example:80', async () => finished.push(2));
    expect(finished).toEqual([2]);
    slow.finish();
    await first;
    expect(finished).toEqual([2, 1]);
  });
});
