import {
  type Check,
  createLogger,
  createRedis,
  type ProbeResult,
  type ProberSettings,
  parseConfig,
  type RoleConnections,
  type RoleContext,
  type TargetGuard,
  type Vantage,
  type VigilConfig,
  validateConfig,
} from '@vigil/core';
import { eventually, TEST_REDIS_URL, testContext } from '@vigil/core/testing';
import { closeChannels, createChannels, createNotifierContext, Notifier, ResultRecorder } from '@vigil/notifier';
import { createProberContext, type HostResolver, ProbeWorker } from '@vigil/prober';
import { createSchedulerContext, Scheduler } from '@vigil/scheduler';
import { createWebContext } from '@vigil/web';

const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/**
 * A check from YAML, so fixtures go through the same validation as a user's file; loopback targets
 * are allowed, as the fleet's probers allow them.
 */
export function checkFromYaml(yaml: string, vantages = ['alpha', 'beta']): Check {
  const [check] = parseConfig(
    `vantages: [${vantages.join(', ')}]\nallowPrivateTargets: true\nchecks:\n  - ${yaml.trim().split('\n').join('\n    ')}`,
  ).checks;
  if (!check) throw new Error('fixture did not parse');
  return check;
}

/**
 * An in-process fleet on real Redis under a fresh prefix: add schedulers, probers and a recorder as
 * the test needs them; `close()` stops them all and deletes the keys. Its own stores (`ctx`, as the
 * web role has them) are what a test writes checks and tokens with and reads results and incidents from.
 */
export async function startFleet(
  vantages: readonly string[] = ['alpha', 'beta'],
  options: {
    /** Another Redis than TEST_REDIS_URL: a test Cluster's `redis+cluster://` URL. */ redisUrl?: string;
  } = {},
) {
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  const base = await testContext('fleet', { log, redisUrl });
  const closers: (() => Promise<void>)[] = [];
  const connection = () => {
    const conn = createRedis(redisUrl, { maxRetriesPerRequest: null });
    closers.push(async () => conn.disconnect());
    return conn;
  };
  /** One process of the fleet: the fleet's Redis for commands, connections of its own for BullMQ and blocking reads. */
  const ownProcess = (): RoleContext & RoleConnections => ({
    ...base,
    connection: connection(),
    dedicated: () => connection(),
  });
  const ctx = createWebContext(base, {
    config: validateConfig({ vantages }, 'fleet'),
    secret: 'test-secret-0123456789',
  });

  return {
    ...base,
    ctx,
    registry: ctx.checks,
    store: ctx.results,
    incidents: ctx.incidents,
    tokens: ctx.tokens,
    async scheduler(): Promise<Scheduler> {
      const scheduler = new Scheduler(createSchedulerContext(ownProcess(), { vantages }), { leaseMs: 3_000 });
      closers.push(() => scheduler.close());
      await scheduler.start();
      return scheduler;
    },
    async prober(
      vantage: Vantage | string,
      options: { guard?: TargetGuard; settings?: Partial<ProberSettings>; resolve?: HostResolver } = {},
    ): Promise<ProbeWorker> {
      const prober = createProberContext(ownProcess(), {
        vantage: typeof vantage === 'string' ? { id: vantage } : vantage,
        config: {
          allowPrivateTargets: true,
          allowTargets: [],
          prober: { concurrency: 50, perHostConcurrency: 50, ...options.settings },
        },
      });
      const worker = new ProbeWorker(
        {
          ...prober,
          ...(options.guard && { guard: options.guard }),
          ...(options.resolve && { resolve: options.resolve }),
        },
        { heartbeatEveryMs: 500 },
      );
      closers.push(() => worker.close());
      await worker.start();
      return worker;
    },
    async recorder(): Promise<ResultRecorder> {
      const recorder = new ResultRecorder({ ...ownProcess(), results: ctx.results });
      closers.push(() => recorder.close());
      await recorder.start();
      return recorder;
    },
    /** A whole notifier (recorder, evaluator, incidents, paging) with real channels. */
    async notifier(
      config: VigilConfig,
      options: { smtpUrl?: string; outboxDir?: string; secret?: string } = {},
    ): Promise<Notifier> {
      const secret = options.secret ?? 'test-secret-0123456789';
      const channels = createChannels({
        log,
        clock: base.clock,
        secret,
        ...(options.smtpUrl && { smtpUrl: options.smtpUrl }),
        outboxDir: options.outboxDir ?? '/tmp/vigil-test-outbox',
        from: 'Vigil <vigil@example.test>',
        store: base,
      });
      const notifier = new Notifier(
        createNotifierContext(ownProcess(), { config, channels, secret, publicUrl: 'http://127.0.0.1:8080' }),
        // Latency sums merged every second, so a test sees its charts' rollups without waiting minutes.
        { fleetTickMs: 500, latencyFlushMs: 1_000 },
      );
      closers.push(async () => {
        await notifier.close();
        await closeChannels(channels);
      });
      await notifier.start();
      return notifier;
    },
    /**
     * The whole path for a config: its checks registered, a notifier on it, a prober for each of its
     * vantages (from its source address), then a scheduler.
     */
    async runConfig(config: VigilConfig, notifierOptions: { smtpUrl?: string } = {}): Promise<void> {
      for (const check of config.checks) await ctx.checks.put(check);
      await this.notifier(config, notifierOptions);
      for (const vantage of config.vantages) await this.prober(vantage);
      await this.scheduler();
    },
    /** Waits until `predicate` holds over the check's history (oldest first). */
    async historyUntil(
      checkId: string,
      predicate: (history: ProbeResult[]) => boolean,
      timeoutMs = 15_000,
      what = 'history',
    ): Promise<ProbeResult[]> {
      return eventually(
        async () => {
          const history = (await ctx.results.history(checkId, { limit: 1_000 })).reverse();
          return predicate(history) ? history : undefined;
        },
        timeoutMs,
        what,
      );
    },
    /** Waits until every vantage of the fleet has a latest result for the check; returns them by vantage. */
    async latestFromEach(checkId: string, timeoutMs = 15_000): Promise<Record<string, ProbeResult>> {
      return eventually(
        async () => {
          const results = await ctx.results.latest(checkId);
          return vantages.every((vantage) => results[vantage]) ? results : undefined;
        },
        timeoutMs,
        'a result from each vantage',
      );
    },
    /** Waits until the check's state (its `checkState` hash) is `wanted`. */
    async stateBecomes(checkId: string, wanted: string, timeoutMs = 15_000): Promise<string> {
      return eventually(
        async () => {
          const state = await base.redis.hget(base.keys.checkState(checkId), 'state');
          return state === wanted ? state : undefined;
        },
        timeoutMs,
        `${checkId} ${wanted}`,
      );
    },
    async close(): Promise<void> {
      for (const close of closers.splice(0).reverse()) await close().catch(() => {});
      await base.cleanup();
    },
  };
}
export type Fleet = Awaited<ReturnType<typeof startFleet>>;

/** Rounds in the history, each with the vantages that reported it. */
export function roundsOf(history: readonly ProbeResult[]): Map<number, string[]> {
  const rounds = new Map<number, string[]>();
  for (const result of history) rounds.set(result.round, [...(rounds.get(result.round) ?? []), result.vantage]);
  return rounds;
}
