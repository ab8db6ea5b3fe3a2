/**
 * What a latency rollup merge costs (core's LatencyRollups, lua/merge-latency-rollups.lua): `checks`
 * checks × 3 vantages, one hour aggregate each per merge, merged `merges` times on a
 * redis-server of the bench's own, the bucket moving on every fourth merge (so heads move and slots
 * are zeroed as in a deployment). Node CPU (this process) and Redis CPU (INFO) per aggregate merged;
 * a result's share is that ÷ the results an aggregate sums (~10 for a 30 s check merged every 5 min).
 */
import { LATENCY_BUCKET_MS, type LatencyAggregate, LatencyRollups } from '@vigil/core';
import { startRedisServer } from './rounds.js';
import { redisInfo } from './support/fleet-redis.js';
import { benchRedis } from './support/redis.js';
import type { BenchReport } from './support/report.js';
import { fmt } from './support/stats.js';

export interface LatencyMergeBenchOptions {
  checks: number;
  merges: number;
}

export const LATENCY_MERGE_DEFAULTS: LatencyMergeBenchOptions = { checks: 1_000, merges: 12 };

const VANTAGES = ['alpha', 'beta', 'gamma'];
/** The first merges warm the JIT and load the script: not counted. */
const WARMUP = 2;

export async function latencyMergeBench(
  options: LatencyMergeBenchOptions = LATENCY_MERGE_DEFAULTS,
): Promise<BenchReport> {
  const server = await startRedisServer();
  try {
    const bench = await benchRedis(server.url, 'vigil');
    try {
      const rollups = new LatencyRollups({ redis: bench.redis, keys: bench.keys });
      const first = Math.floor(Date.now() / LATENCY_BUCKET_MS) - options.merges;
      let nodeUs = 0;
      let redisMs = 0;
      let counted = 0;
      for (let k = 0; k < options.merges + WARMUP; k++) {
        const aggregates = aggregatesOf(options.checks, first + Math.floor(k / 4));
        const before = await redisInfo(bench.redis);
        const cpu = process.cpuUsage();
        await rollups.merge(aggregates);
        const used = process.cpuUsage(cpu);
        const after = await redisInfo(bench.redis);
        if (k < WARMUP) continue;
        nodeUs += used.user + used.system;
        redisMs += after.cpuMs - before.cpuMs;
        counted += aggregates.length;
      }
      const node = nodeUs / counted;
      const redis = (redisMs * 1000) / counted;
      return {
        name: 'latency-merge',
        tables: [
          {
            title: `Latency rollup merges: ${fmt(options.checks)} checks × ${VANTAGES.length} vantages, ${options.merges} merges (after ${WARMUP} not counted)`,
            columns: ['CPU', 'µs per aggregate', 'µs per result, 10 results an aggregate'],
            rows: [
              ['notifier side (LatencyRollups.merge, this process)', fmt(node, 2), fmt(node / 10, 2)],
              ['Redis (used_cpu_user + used_cpu_sys)', fmt(redis, 2), fmt(redis / 10, 2)],
            ],
            notes: [
              'an aggregate: one (check, vantage, hour) as a notifier sums it; one script call per 500 checks',
              'a 30 s check merged every 5 minutes (the notifier default) sums ~10 results an aggregate',
            ],
          },
        ],
        data: { options, nodeUsPerAggregate: node, redisUsPerAggregate: redis },
      };
    } finally {
      await bench.cleanup();
    }
  } finally {
    server.process.kill('SIGTERM');
  }
}

function aggregatesOf(checks: number, bucket: number): LatencyAggregate[] {
  const means = { total: 120, dns: 3, connect: 10, tls: 25, firstByte: 80 };
  return Array.from({ length: checks }, (_, c) =>
    VANTAGES.map((vantage) => ({ checkId: `check-${c}`, vantage, bucket, samples: 10, failures: 0, means })),
  ).flat();
}
