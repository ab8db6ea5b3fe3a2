/**
 * The notifier role in a process of its own, as production runs it: a real Notifier with real
 * channels (email over SMTP to `smtpUrl`) on the bench's prefix. Argument: JSON `{ redisUrl, prefix,
 * config, smtpUrl, secret, memoryKey, notifier? }`, `config` being vigil.yaml's content as an object. Prints
 * "ready" once started; writes its memory (rss, heapUsed) to the hash `memoryKey` every 100 ms so
 * the bench can read it; stops on SIGTERM, when stdin closes, or after 15 minutes.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, keyLayoutOf, redisKeys, systemClock, validateConfig, waitForRedis } from '@vigil/core';
import { closeChannels, createChannels, createNotifierContext, Notifier, type NotifierOptions } from '@vigil/notifier';
import { benchConnections } from './redis.js';

interface NotifierArgs {
  redisUrl: string;
  prefix: string;
  config: unknown;
  smtpUrl: string;
  secret: string;
  memoryKey: string;
  /** The Notifier's options (tick and merge intervals); its defaults when absent. */
  notifier?: NotifierOptions;
}

const MAX_LIFETIME_MS = 15 * 60_000;
const MEMORY_EVERY_MS = 100;

const args = JSON.parse(process.argv[2] ?? '{}') as NotifierArgs;
const config = validateConfig(args.config, 'bench notifier config');
const { open, closeAll } = benchConnections(args.redisUrl, 'vigil-bench-notifier-');
const redis = open('commands', false);
await waitForRedis(redis, args.redisUrl);
const log = createLogger({ level: 'warn', destination: process.stderr, bindings: { role: 'notifier' } });
const channels = createChannels({
  log,
  clock: systemClock,
  secret: args.secret,
  smtpUrl: args.smtpUrl,
  outboxDir: join(tmpdir(), 'vigil-bench-outbox'),
  from: 'Vigil <vigil@bench.test>',
});
const notifier = new Notifier(
  createNotifierContext(
    {
      redis,
      keys: redisKeys(args.prefix, keyLayoutOf(args.redisUrl)),
      clock: systemClock,
      log,
      connection: open('queues', true),
      dedicated: (name) => open(name, true),
    },
    { config, channels, secret: args.secret, publicUrl: 'http://127.0.0.1:8080' },
  ),
  args.notifier,
);
await notifier.start();

const sampler = setInterval(() => {
  const { rss, heapUsed } = process.memoryUsage();
  redis.hset(args.memoryKey, { rss, heapUsed, at: Date.now() }).catch(() => {});
}, MEMORY_EVERY_MS);
process.stdout.write('ready\n');

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(sampler);
  await notifier.close().catch(() => {});
  await closeChannels(channels).catch(() => {});
  closeAll();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop()).resume();
setTimeout(() => void stop(), MAX_LIFETIME_MS).unref();
