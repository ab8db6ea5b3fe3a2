/**
 * What the scheduler keeps in Redis per check: `checks` checks × the vantages, slotted as the
 * scheduler slots them (same interval, offsets spread over it), applied by its SchedulerSync, then
 * MEMORY USAGE of every key it made (slot members, the probe target store, the slot job schedulers
 * and their next jobs, the applied fingerprints), by family, ÷ checks.
 */
import { createLogger } from '@vigil/core';
import { desiredSchedulers, SchedulerSync } from '@vigil/scheduler';
import { checkSeries, templateCheck } from './checks.js';
import type { BenchRedis } from './redis.js';

export interface SlotFamily {
  family: string;
  keys: number;
  bytes: number;
}

export async function measureSlots(
  bench: BenchRedis,
  input: { checks: number; intervalS: number; vantages: readonly string[] },
): Promise<{ families: SlotFamily[]; slots: number }> {
  const template = templateCheck({
    http: { url: 'https://api.example.com/health' },
    interval: `${input.intervalS}s`,
    timeout: '10s',
  });
  const desired = desiredSchedulers(checkSeries(template, 'check', input.checks), input.vantages);
  const connection = bench.connection('slots');
  const sync = new SchedulerSync({
    redis: bench.redis,
    connection,
    keys: bench.keys,
    log: createLogger({ level: 'silent' }),
  });
  try {
    await sync.apply(desired, input.vantages, false);
  } finally {
    await sync.close();
  }
  const families = new Map<string, SlotFamily>();
  const add = (family: string, bytes: number) => {
    const entry = families.get(family) ?? { family, keys: 0, bytes: 0 };
    entry.keys++;
    entry.bytes += bytes;
    families.set(family, entry);
  };
  let cursor = '0';
  do {
    const [next, keys] = await bench.redis.scan(cursor, 'MATCH', `${bench.prefix}:probe.*`, 'COUNT', 2_000);
    cursor = next;
    const pipeline = bench.redis.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      add(slotFamilyOf(key.slice(bench.prefix.length + 1)), Number(replies[i]?.[1] ?? 0));
    });
  } while (cursor !== '0');
  add('scheduler:applied', Number(await bench.redis.memory('USAGE', bench.keys.schedulersApplied, 'SAMPLES', 0)));
  return { families: [...families.values()].sort((a, b) => b.bytes - a.bytes), slots: desired.size };
}

function slotFamilyOf(key: string): string {
  return key
    .replace(/^probe\.[^:]+:/, 'probe.<vantage>:')
    .replace(/slot\.[^:@]+@[^:]+/, '<slot>')
    .replace(/:\d+$/, ':<n>');
}
