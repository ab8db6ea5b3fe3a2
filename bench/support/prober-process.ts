/**
 * One vantage's prober in a process of its own, as production runs it: a real ProbeWorker on the
 * bench's prefix. Argument: JSON `{ redisUrl, prefix, vantage, settings }`. Prints "ready" once
 * taking jobs; stops (finishing what is in flight) on SIGTERM, when stdin closes, or after 15 minutes.
 */
import {
  createLogger,
  createRedis,
  keyLayoutOf,
  type ProberSettings,
  redisKeys,
  systemClock,
  waitForRedis,
} from '@vigil/core';
import { createProberContext, ProbeWorker } from '@vigil/prober';

interface ProberArgs {
  redisUrl: string;
  prefix: string;
  vantage: string;
  settings: ProberSettings;
}

const MAX_LIFETIME_MS = 15 * 60_000;

const args = JSON.parse(process.argv[2] ?? '{}') as ProberArgs;
const redis = createRedis(args.redisUrl, { name: `vigil-bench-prober-${args.vantage}` });
const connection = createRedis(args.redisUrl, {
  name: `vigil-bench-worker-${args.vantage}`,
  maxRetriesPerRequest: null,
});
await waitForRedis(redis, args.redisUrl);
const log = createLogger({ level: 'warn', destination: process.stderr, bindings: { vantage: args.vantage } });
const worker = new ProbeWorker(
  createProberContext(
    { redis, connection, keys: redisKeys(args.prefix, keyLayoutOf(args.redisUrl)), clock: systemClock, log },
    {
      vantage: { id: args.vantage },
      config: { allowPrivateTargets: true, allowTargets: [], prober: args.settings },
    },
  ),
  { heartbeatEveryMs: 2_000 },
);
await worker.start();
process.stdout.write('ready\n');

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await worker.close().catch(() => {});
  redis.disconnect();
  connection.disconnect();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop()).resume();
setTimeout(() => void stop(), MAX_LIFETIME_MS).unref();
