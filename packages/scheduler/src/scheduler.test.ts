import { type Check, type CheckRegistry, parseConfig, probeQueueName, roundFromJobId } from '@vigil/core';
import { eventually, type TestContext, testContext } from '@vigil/core/testing';
import { type JobSchedulerJson, Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { roundOffset } from './offset.js';
import { Scheduler } from './scheduler.js';
import { createSchedulerContext } from './scheduler-context.js';

const VANTAGES = ['alpha', 'beta'];

function check(id: string, overrides: Partial<Check> = {}): Check {
  const [parsed] = parseConfig(
    `vantages: [alpha, beta]\nchecks: [{ id: ${id}, interval: 30s, tcp: { host: example.com, port: 443 } }]`,
  ).checks;
  if (!parsed) throw new Error('fixture did not parse');
  return { ...parsed, ...overrides };
}

describe('Scheduler', () => {
  let ctx: TestContext;
  let registry: CheckRegistry;
  const closers: (() => Promise<void>)[] = [];

  /** A scheduler process of its own: its connections are closed with `ctx`. */
  function startScheduler(): Scheduler {
    const scheduler = new Scheduler(createSchedulerContext(ctx.peer(), { vantages: VANTAGES }), { leaseMs: 3_000 });
    closers.push(() => scheduler.close());
    return scheduler;
  }

  function queue(vantage: string): Queue {
    const q = new Queue(probeQueueName(vantage), { connection: ctx.redis, prefix: ctx.prefix });
    closers.push(() => q.close());
    return q;
  }

  async function schedulers(vantage: string) {
    // A scheduler removed while BullMQ lists them comes back undefined.
    const found: (JobSchedulerJson | undefined)[] = await queue(vantage).getJobSchedulers(0, -1);
    return found.flatMap((s) => (s ? [{ id: s.key, every: s.every, next: s.next }] : []));
  }

  beforeEach(async () => {
    ctx = await testContext('scheduler');
    ({ checks: registry } = createSchedulerContext(ctx, { vantages: VANTAGES }));
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await ctx.cleanup();
  });

  it('makes one scheduler per check × vantage, all vantages on the same round, spread by a stable offset', async () => {
    await registry.put(check('api'));
    await registry.put(check('web'));
    await registry.put(check('only-beta', { vantages: ['beta'] }));
    await startScheduler().start();

    expect((await schedulers('alpha')).map((s) => s.id).sort()).toEqual(['api@alpha', 'web@alpha']);
    expect((await schedulers('beta')).map((s) => s.id).sort()).toEqual(['api@beta', 'only-beta@beta', 'web@beta']);

    for (const id of ['api', 'web']) {
      const rounds = await Promise.all(
        VANTAGES.map(async (v) => {
          const delayed = await queue(v).getDelayed();
          return roundFromJobId(delayed.find((job) => job.id?.startsWith(`repeat:${id}@`))?.id);
        }),
      );
      expect(rounds[0]).toBeDefined();
      expect(rounds[0]).toBe(rounds[1]);
      expect((rounds[0] ?? 0) % 30_000).toBe(roundOffset(id, 30_000));
    }
    expect(roundOffset('api', 30_000)).not.toBe(roundOffset('web', 30_000));
  });

  it('follows pause, delete and interval changes without a restart', async () => {
    await registry.put(check('api'));
    await registry.put(check('web'));
    await startScheduler().start();

    await registry.setPaused('api', true);
    await registry.delete('web');
    await eventually(async () => (await schedulers('alpha')).length === 0, 5_000, 'schedulers removed');
    expect(await queue('alpha').getDelayedCount()).toBe(0);

    await registry.setPaused('api', false);
    await registry.put({ ...check('api'), intervalMs: 60_000 });
    const every = await eventually(
      async () => {
        const [s] = await schedulers('beta');
        return s?.every === 60_000 ? s.every : undefined;
      },
      5_000,
      'interval change applied',
    );
    expect(every).toBe(60_000);
    expect(await queue('beta').getDelayedCount()).toBe(1);
  });

  it('two schedulers at once keep exactly one scheduler and one pending job per check × vantage', async () => {
    for (let i = 0; i < 20; i++) await registry.put(check(`c${i}`));
    const a = startScheduler();
    const b = startScheduler();
    await Promise.all([a.start(), b.start()]);
    // Whoever does not hold the lease does nothing; force both to try again at once anyway.
    await Promise.all([a.reconcile(true), b.reconcile(true), a.reconcile(true), b.reconcile(true)]);
    for (const vantage of VANTAGES) {
      expect(await schedulers(vantage)).toHaveLength(20);
      expect(await queue(vantage).getDelayedCount()).toBe(20);
    }
  });

  it('hands over when the leader stops, and re-creates schedulers lost from Redis', async () => {
    await registry.put(check('api'));
    const first = startScheduler();
    await first.start();
    const second = startScheduler();
    await second.start();
    expect(await second.reconcile()).toBeUndefined();
    await first.close();
    await queue('alpha').removeJobScheduler('api@alpha');
    const report = await eventually(() => second.reconcile(true), 5_000, 'the second scheduler to lead');
    expect(report.upserted + report.unchanged).toBeGreaterThan(0);
    await eventually(async () => (await schedulers('alpha')).length === 1, 5_000, 'scheduler restored');
  });
});
