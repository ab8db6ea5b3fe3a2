/**
 * A whole paging fleet on real Redis under a fresh prefix, each role as production runs it: one
 * ProbeWorker process per vantage, the Notifier (with real channels, email to `smtpUrl`) in a
 * process of its own, and the Scheduler in this one. `close()` stops them in order and deletes the keys.
 */
import { CheckRegistry, createLogger, IncidentStore, type ProberSettings } from '@vigil/core';
import { CheckStates } from '@vigil/notifier';
import { createSchedulerContext, Scheduler } from '@vigil/scheduler';
import { type Child, startChild } from './child.js';
import { type BenchRedis, benchRedis } from './redis.js';

export interface PagingFleetOptions {
  vantages: readonly string[];
  /** vigil.yaml's content as an object, without checks (those go into the registry). */
  config: Record<string, unknown>;
  smtpUrl: string;
  prober: ProberSettings;
}

/** The notifier process's memory, in bytes, as it last reported it. */
export interface NotifierMemory {
  rss: number;
  heapUsed: number;
}

export interface PagingFleet {
  bench: BenchRedis;
  registry: CheckRegistry;
  states: CheckStates;
  incidents: IncidentStore;
  /** Starts the scheduler: every check in the registry is probed from now on. */
  schedule(): Promise<void>;
  notifierMemory(): Promise<NotifierMemory | undefined>;
  close(): Promise<void>;
}

const SECRET = 'bench-secret-0123456789abcdef';

export async function startPagingFleet(options: PagingFleetOptions): Promise<PagingFleet> {
  const bench = await benchRedis();
  const children: Child[] = [];
  const memoryKey = `${bench.prefix}:bench:notifier-memory`;
  let scheduler: Scheduler | undefined;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await scheduler?.close();
      // Probers first (nothing new is recorded), then the notifier, then the keys.
      for (const child of children.splice(0).reverse()) await child.stop();
      await bench.cleanup();
    })();
    return closing;
  };
  try {
    const notifierArgs = { redisUrl: bench.url, prefix: bench.prefix, smtpUrl: options.smtpUrl, secret: SECRET };
    children.push(
      await startChild('./notifier-process.ts', [
        JSON.stringify({ ...notifierArgs, config: options.config, memoryKey }),
      ]),
    );
    const probers = await Promise.allSettled(
      options.vantages.map((vantage) => {
        const args = { redisUrl: bench.url, prefix: bench.prefix, vantage, settings: options.prober };
        return startChild('./prober-process.ts', [JSON.stringify(args)]);
      }),
    );
    for (const started of probers) {
      if (started.status === 'fulfilled') children.push(started.value);
    }
    const failed = probers.find((started) => started.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await close();
    throw err;
  }
  const ctx = { redis: bench.redis, keys: bench.keys };
  return {
    bench,
    registry: new CheckRegistry(ctx),
    states: new CheckStates(ctx),
    incidents: new IncidentStore(ctx),
    async schedule() {
      const log = createLogger({ level: 'warn', destination: process.stderr });
      scheduler = new Scheduler(createSchedulerContext(bench.role('scheduler', log), { vantages: options.vantages }));
      await scheduler.start();
    },
    async notifierMemory() {
      const fields = await bench.redis.hgetall(memoryKey);
      if (fields.rss === undefined || fields.heapUsed === undefined) return undefined;
      return { rss: Number(fields.rss), heapUsed: Number(fields.heapUsed) };
    },
    close,
  };
}
