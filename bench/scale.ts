/**
 * The fleet at a million checks: `checks` HTTP checks × 3 vantages registered through the registry's
 * bulk path (`putMany`, timed beside `put` a check at a time), scheduled by the real scheduler role
 * (`vigil scheduler`) and evaluated by the real notifier role (`vigil notifier`), each a process of
 * its own, with synthetic vantages: real ProbeWorkers that answer every probe from memory (no
 * connections), so scheduling, queues, result batches, recording and evaluation run at full rate.
 * A redis-server of the bench's own (or `--redis-url`), so its CPU and memory are the fleet's alone.
 * `--masters N` (N ≥ 2) then runs the same on an N-master Redis Cluster of the bench's own
 * (`startRedisCluster`, loopback ports, `--shards` shards), and compares the Redis CPU per probe of
 * each master with the single server's: the busiest master bounds what the cluster carries.
 *
 * Latency merges (the notifier's sums merged into the charts' rollups) cost Redis per check ×
 * vantage merged, whatever a merge holds: at this bench's 1,200 s interval a merge every 15 minutes
 * holds one result, at the 60 s the report extrapolates to it holds fifteen (shared among that
 * fleet's notifiers). So the fleet's notifier merges hourly here (`--mergeEvery`, at hour
 * boundaries: the window avoids them), a merge is timed after the window on the fleet's own keys,
 * and the 60 s line adds merges at the default period by the notifiers that fleet needs.
 *
 * Some of Redis's work in the window is done whatever the probe rate: the roles' timers (round
 * ticks, vantage health, heartbeats), the scheduler's reconciles of 1,000,000 checks, idle blocking
 * reads, redis-server's own cron. At this bench's rate it is a probe's share several times what it
 * is at 60 s intervals. After the window the probe queues are paused (`--idleSeconds`): Redis's
 * command time then, with no probe running, is that fixed work, and a second 60 s line counts it once
 * rather than a probe's share. Its CPU beyond commands (wake-ups from idle, dearer than under load)
 * and BullMQ's work a slot job (a job a second a vantage here) stay in the probes' share: that line
 * still overstates what the 60 s fleet needs, a little.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Check,
  CheckRegistry,
  DEFAULT_CLUSTER_SHARDS,
  LATENCY_BUCKET_MS,
  type LatencyAggregate,
  LatencyRollups,
  probeQueueName,
} from '@vigil/core';
import { deletePrefix, startRedisCluster } from '@vigil/core/testing';
import { desiredSchedulers } from '@vigil/scheduler';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedisServer } from './rounds.js';
import { checkSeries, templateCheck } from './support/checks.js';
import { type Child, startChild } from './support/child.js';
import { backlog, type RedisInfo, redisInfo, schedulersApplied } from './support/fleet-redis.js';
import { type RoleProcess, startRole } from './support/fleet-role.js';
import { sampleProc } from './support/proc-stats.js';
import { type BenchRedis, benchRedis } from './support/redis.js';
import { CaptureProxy, type Recording, replay } from './support/redis-capture.js';
import { type BenchReport, progress } from './support/report.js';
import {
  clusterScaleTable,
  type ReplayFigures,
  type ReplayRun,
  type ScaleFigures,
  scaleTables,
  type WindowSample,
} from './support/scale-report.js';
import { fmt } from './support/stats.js';

export interface ScaleBenchOptions {
  checks: number;
  /** Every check's interval, in seconds: the probe rate is checks × 3 ÷ interval. */
  interval: number;
  /** The measured window and the warm-up before it (after every job scheduler exists), in seconds. */
  seconds: number;
  warmup: number;
  /** Checks registered one `put` at a time (500 in flight), as the baseline of the bulk path. */
  baselineChecks: number;
  /** 0: one redis-server only; N ≥ 2: then the same on an N-master Redis Cluster, in the same run. */
  masters: number;
  /** Shards of per-check keys on the cluster (`redis+cluster://…?shards=N`). */
  shards: number;
  /** The fleet's notifier's `latencyMergeEvery`, in seconds (60–3,600): hourly keeps merges out of the window. */
  mergeEvery: number;
  /** Checks whose rollups the merge timed after the window merges (× 3 vantages), twice: made, then updated. */
  mergeChecks: number;
  /** After the merge, the probe queues paused this long (and 20 s to settle first): Redis's fixed work; 0 skips it. */
  idleSeconds: number;
  /**
   * 1: the window waits (after the warm-up) until it is an interval past an hour boundary and ends
   * before the next, clear of the rounds that open an hour (each check's first does its hour's
   * bookkeeping) and of the notifier's hourly merge; 0: measured at once.
   */
  clearOfHour: number;
  /**
   * Seconds of the fleet's commands recorded after the paused window (probes running again), then
   * replayed on fresh redis-servers loaded from a snapshot taken just before it: once at
   * the pace recorded, once back to back (Redis busy, as at 60 s intervals). The roles reach Redis
   * through a recording proxy for the whole run. 0 (the default) skips it; one server only.
   */
  replay: number;
}

export const SCALE_DEFAULTS: ScaleBenchOptions = {
  checks: 1_000_000,
  interval: 1_200,
  seconds: 60,
  warmup: 15,
  baselineChecks: 20_000,
  masters: 0,
  shards: DEFAULT_CLUSTER_SHARDS,
  mergeEvery: 3_600,
  mergeChecks: 20_000,
  idleSeconds: 30,
  clearOfHour: 1,
  replay: 0,
};

/** Options that are not numbers: `--redis-url` runs the bench on an existing Redis (a unique prefix, deleted after). */
export interface ScaleBenchFlags {
  redisUrl?: string;
}

const VANTAGES = ['alpha', 'beta', 'gamma'];
const SECRET = 'bench-scale-secret-0123456789';
const RECONCILE_TIMEOUT_MS = 20 * 60_000;
const PUT_PARALLEL = 500;
/** After the probe queues are paused: slot jobs in flight finish, their batches are recorded, rounds waiting reach their deadline. */
const IDLE_SETTLE_MS = 20_000;

interface Rig {
  bench: BenchRedis;
  /** Where INFO is read: the one server, or every master of a cluster (summed, and kept per master). */
  nodes: Redis[];
  dir: string;
  roles: RoleProcess[];
  vantage?: Child;
  statsKey: string;
  /** When the notifier started: its first periodic merge is `mergeEvery` after. */
  notifierStarted?: number;
  /** The roles' way to Redis through a recording proxy (`--replay`), and the server's folder for its snapshot. */
  capture?: Capture;
}

interface Capture {
  proxy: CaptureProxy;
  url: string;
  dir: string;
}

export async function scaleBench(
  options: ScaleBenchOptions = SCALE_DEFAULTS,
  flags: ScaleBenchFlags = {},
): Promise<BenchReport> {
  // A snapshot for the replay is written to a folder of the server's own.
  const serverDir =
    !flags.redisUrl && options.replay > 0 ? await mkdtemp(join(tmpdir(), 'vigil-scale-redis-')) : undefined;
  const server = flags.redisUrl ? undefined : await startRedisServer(serverDir ? ['--dir', serverDir] : []);
  const url = flags.redisUrl ?? server?.url ?? '';
  if (server) await listening(server.url);
  // On a Redis of its own the default prefix, so key names weigh what a deployment's do.
  const bench = await benchRedis(url, server ? 'vigil' : undefined);
  const proxy = serverDir ? new CaptureProxy('127.0.0.1', Number(new URL(url).port)) : undefined;
  const capture =
    proxy && serverDir ? { proxy, url: `redis://127.0.0.1:${await proxy.listen()}`, dir: serverDir } : undefined;
  let single: ScaleFigures;
  try {
    single = await runOn(bench, [bench.redis], options, { url, capture });
  } finally {
    await proxy?.close();
    if (serverDir) await rm(serverDir, { recursive: true, force: true });
    if (server) {
      bench.disconnect();
      server.process.kill('SIGTERM');
    } else {
      progress('deleting the keys…');
      await bench.cleanup();
    }
  }
  const tables = scaleTables(single);
  let clustered: ScaleFigures | undefined;
  if (options.masters >= 2) {
    const cluster = await startRedisCluster({ size: options.masters });
    const clusterUrl = `${cluster.url}?shards=${options.shards}`;
    progress(`the same on a ${options.masters}-master Redis Cluster (${options.shards} shards)`);
    try {
      const onCluster = await benchRedis(clusterUrl, 'vigil');
      try {
        clustered = await runOn(onCluster, cluster.masters, options, { url: clusterUrl });
      } finally {
        onCluster.disconnect();
      }
    } finally {
      await cluster.stop();
    }
    tables.push(
      clusterScaleTable(single, clustered, options),
      ...scaleTables(clustered, ` on the ${options.masters}-master cluster`),
    );
  }
  return {
    name: 'scale',
    tables,
    data: { options, redis: server ? 'private' : 'external', figures: single, clustered },
  };
}

/** The whole bench on one Redis location; the roles and the synthetic vantages are stopped after. */
async function runOn(
  bench: BenchRedis,
  nodes: Redis[],
  options: ScaleBenchOptions,
  { url, capture }: { url: string; capture?: Capture | undefined },
) {
  const rig: Rig = {
    bench,
    nodes,
    dir: await mkdtemp(join(tmpdir(), 'vigil-scale-')),
    roles: [],
    statsKey: '',
    ...(capture && { capture }),
  };
  rig.statsKey = `${bench.prefix}:bench-synthetic`;
  try {
    return await run(rig, options, url);
  } finally {
    await Promise.all(rig.roles.splice(0).map((role) => role.stop()));
    await rig.vantage?.stop();
    await rm(rig.dir, { recursive: true, force: true });
  }
}

async function run(rig: Rig, options: ScaleBenchOptions, url: string): Promise<ScaleFigures> {
  const { bench } = rig;
  const template = templateCheck({
    http: { url: 'http://127.0.0.1:9/' },
    interval: `${options.interval}s`,
    timeout: '10s',
  });
  const checks = checkSeries(template, 'check', options.checks);
  const rate = (options.checks * VANTAGES.length) / options.interval;
  progress(
    `${fmt(options.checks)} checks × ${VANTAGES.length} vantages every ${options.interval} s (${fmt(rate)} probes/s)`,
  );
  const baseline = await registerOneByOne(
    bench,
    rig.nodes,
    checks.slice(0, Math.min(options.baselineChecks, checks.length)),
  );
  const empty = await nodesInfo(rig.nodes);
  const registration = await measure(rig.nodes, () => new CheckRegistry(bench).putMany(checks));
  const registered = await nodesInfo(rig.nodes);
  progress(
    `registered in ${fmt(registration.wallMs / 1000, 1)} s (put, one at a time: ${fmt(baseline.perSecond)} checks/s)`,
  );
  const schedulers = desiredSchedulers(checks, VANTAGES).size;
  // Spread over the fleet, for the merge timed after the window.
  const mergeIds = checks
    .filter((_, i) => i % Math.max(1, Math.floor(checks.length / options.mergeChecks)) === 0)
    .slice(0, options.mergeChecks)
    .map((check) => check.id);
  checks.length = 0; // the bench's own copy is not the fleet's memory
  const roleUrl = rig.capture?.url ?? url;
  // Recorded for a replay: the roles' scripts reach Redis through the proxy (loaded by EVAL on NOSCRIPT).
  if (rig.capture) await bench.redis.script('FLUSH');
  const env = await writeRoleEnv(rig, roleUrl, options);
  await startConsumers(rig, env, roleUrl);
  const reconcileStarted = Date.now();
  await startFleetRole(rig, env, 'scheduler');
  await waitReconciled(bench, schedulers);
  const reconcileMs = Date.now() - reconcileStarted;
  const scheduled = await nodesInfo(rig.nodes);
  progress(
    `${fmt(schedulers)} job schedulers reconciled in ${fmt(reconcileMs / 1000, 1)} s; warming up ${options.warmup} s`,
  );
  await sleep(options.warmup * 1000);
  if (options.clearOfHour) await waitClearOfHour(options);
  progress(`measuring ${options.seconds} s`);
  const start = await sample(rig);
  await sleep(options.seconds * 1000);
  const end = await sample(rig);
  const merge = await timeMerge(rig, mergeIds, (end.redis.cpuMs - start.redis.cpuMs) / (end.at - start.at));
  const idle = options.idleSeconds > 0 ? await timeIdle(rig, options.idleSeconds) : undefined;
  const replayed =
    rig.capture && options.replay > 0 ? await recordAndReplay(rig, rig.capture, options.replay) : undefined;
  return {
    options,
    vantages: VANTAGES.length,
    rate,
    registration,
    baseline,
    schedulers,
    reconcileMs,
    memory: { empty: empty.usedMemory, registered: registered.usedMemory, scheduled: scheduled.usedMemory },
    start,
    end,
    merge,
    mergesInWindow: mergesIn(rig, options, start.at, end.at),
    ...(idle && { idle }),
    ...(replayed && { replay: replayed }),
  };
}

/**
 * Waits until a window of `seconds` starts at least an interval past an hour boundary and ends
 * before the next (at once when it would already); gives up, saying so, when no such window fits an
 * hour (an interval of an hour or more).
 */
async function waitClearOfHour(options: ScaleBenchOptions): Promise<void> {
  const hour = LATENCY_BUCKET_MS;
  const from = options.interval * 1000;
  const to = hour - options.seconds * 1000;
  if (from > to) {
    progress(`no window of ${options.seconds} s fits an hour an interval clear of its start: measured at once`);
    return;
  }
  const now = Date.now();
  const into = now % hour;
  if (into >= from && into <= to) return;
  const wait = into < from ? from - into : hour - into + from;
  progress(
    `waiting ${fmt(wait / 1000)} s for a window an interval past the hour and before the next (--clearOfHour 0: at once)`,
  );
  await sleep(wait);
}

/**
 * Redis's work done whatever the probe rate: every vantage's probe queue paused (BullMQ: no slot job
 * taken, none made), 20 s to settle, then Redis CPU over `seconds` with every role running and no
 * probe. Probes answered meanwhile are counted (none expected). The queues stay paused: the bench
 * stops the fleet after (`--replay` resumes them first).
 */
async function timeIdle(rig: Rig, seconds: number) {
  progress(`probe queues paused: Redis's fixed work over ${seconds} s`);
  await setProbeQueues(rig, 'pause');
  await sleep(IDLE_SETTLE_MS);
  const from = await sample(rig);
  await sleep(seconds * 1000);
  const to = await sample(rig);
  const wallS = (to.at - from.at) / 1000;
  const commands = Object.entries(to.commands)
    .map(([name, { calls, usec }]) => {
      const was = from.commands[name] ?? { calls: 0, usec: 0 };
      return { name, callsPerS: (calls - was.calls) / wallS, usecPerS: (usec - was.usec) / wallS };
    })
    .filter((command) => command.callsPerS > 0)
    .sort((a, b) => b.usecPerS - a.usecPerS);
  return {
    seconds: wallS,
    cpuMsPerS: (to.redis.cpuMs - from.redis.cpuMs) / wallS,
    answered: to.answered - from.answered,
    commands,
  };
}

/** Every vantage's probe queue paused or resumed (BullMQ keeps it so in Redis: the queues are closed after). */
async function setProbeQueues(rig: Rig, to: 'pause' | 'resume'): Promise<void> {
  const connection = rig.bench.redis.duplicate();
  const queues = VANTAGES.map(
    (vantage) =>
      new Queue(probeQueueName(vantage), { connection, prefix: rig.bench.keys.queuePrefix(probeQueueName(vantage)) }),
  );
  try {
    await Promise.all(queues.map((queue) => (to === 'pause' ? queue.pause() : queue.resume())));
  } finally {
    await Promise.all(queues.map((queue) => queue.close()));
    connection.disconnect();
  }
}

/** After the paused window: the probes running again and settled, before the recording starts. */
const REPLAY_SETTLE_MS = 60_000;

/**
 * Redis's work a probe at full rate: the probe queues resumed, the fleet settled, then a snapshot
 * (BGSAVE, waited for) and `seconds` of every role's commands recorded through the proxy; the fleet
 * stopped; then twice, each time on a fresh redis-server loaded from the
 * snapshot with the roles' scripts: the recording replayed at its pace (a control: the recording's
 * figure again), and back to back (Redis busy: each connection's next group sent as the replies of
 * the one before are in). Redis CPU a result recorded by the replayed record-results calls.
 */
async function recordAndReplay(rig: Rig, capture: Capture, seconds: number): Promise<ReplayFigures> {
  await setProbeQueues(rig, 'resume');
  progress(`probe queues resumed; recording ${seconds} s of the fleet's commands after ${REPLAY_SETTLE_MS / 1000} s`);
  await sleep(REPLAY_SETTLE_MS);
  // The snapshot written before the recording starts: its copy-on-write faults (Redis's, while the
  // child writes) are not in the recorded window. What the fleet did meanwhile is in neither the
  // snapshot nor the recording: at 1,200 s intervals no check has two rounds in it.
  const snapshotStarted = Date.now();
  await rig.bench.redis.bgsave();
  for (;;) {
    const persistence = await rig.bench.redis.info('persistence');
    if (/^rdb_bgsave_in_progress:0/m.test(persistence)) {
      if (!/^rdb_last_bgsave_status:ok/m.test(persistence)) throw new Error('the snapshot for the replay failed');
      break;
    }
    await sleep(200);
  }
  const snapshotMs = Date.now() - snapshotStarted;
  capture.proxy.start();
  const from = await sample(rig);
  await sleep(seconds * 1000);
  const to = await sample(rig);
  const recording = capture.proxy.stop();
  await Promise.all(rig.roles.splice(0).map((role) => role.stop()));
  await rig.vantage?.stop();
  rig.vantage = undefined;
  const shaOf = (marker: string) => [...recording.scripts].find(([, body]) => body.includes(marker))?.[0] ?? '';
  const record = recording.evalsha.get(shaOf('Records a batch of probe results')) ?? { calls: 0, keys: 0 };
  const apply = recording.evalsha.get(shaOf('Applies a batch of decided rounds')) ?? { calls: 0, keys: 0 };
  const missing = [...recording.evalsha.keys()].filter((sha) => !recording.scripts.has(sha));
  const runs: ReplayRun[] = [];
  for (const paced of [true, false]) {
    progress(
      `replaying ${fmt(recording.bytes / 1_048_576)} MB of commands ${paced ? 'at their pace' : 'back to back'}`,
    );
    runs.push(await replayOnSnapshot(capture.dir, recording, paced));
  }
  return {
    snapshotMs,
    seconds: (to.at - from.at) / 1000,
    answered: to.answered - from.answered,
    windowCpuMs: to.redis.cpuMs - from.redis.cpuMs,
    results: record.keys > 0 ? (record.keys - record.calls) / 2 : 0,
    recordCalls: record.calls,
    rounds: apply.keys > 0 ? (apply.keys - apply.calls) / 3 : 0,
    connections: recording.connections.filter((c) => c.groups.length > 0).length,
    commands: recording.connections.reduce((sum, c) => sum + c.commands, 0),
    dropped: recording.connections.reduce((sum, c) => sum + c.dropped, 0),
    bytes: recording.bytes,
    missingScripts: missing.length,
    recordedCalls: Object.fromEntries(
      Object.entries(to.commands).map(([name, { calls }]) => [name, calls - (from.commands[name]?.calls ?? 0)]),
    ),
    paced: runs[0] as ReplayRun,
    full: runs[1] as ReplayRun,
  };
}

/** A redis-server loaded from the snapshot in `dir`, the recording's scripts loaded, the recording replayed. */
async function replayOnSnapshot(dir: string, recording: Recording, paced: boolean): Promise<ReplayRun> {
  const server = await startRedisServer(['--dir', dir]);
  const redis = new Redis(server.url, { maxRetriesPerRequest: null, lazyConnect: true });
  try {
    await listening(server.url);
    await redis.connect();
    // Loading the snapshot answers LOADING until done.
    for (;;) {
      const ready = await redis.ping().then(
        () => true,
        (err: Error) => {
          if (!err.message.startsWith('LOADING')) throw err;
          return false;
        },
      );
      if (ready) break;
      await sleep(500);
    }
    for (const body of recording.scripts.values()) await redis.script('LOAD', body);
    const called = [...recording.evalsha.keys()];
    const loaded = called.length > 0 ? ((await redis.script('EXISTS', ...called)) as number[]) : [];
    const absent = called.filter((_, i) => loaded[i] !== 1);
    if (absent.length > 0)
      throw new Error(`the replay server lacks ${absent.length} script(s) the fleet called: ${absent.join(', ')}`);
    await redis.config('RESETSTAT');
    const before = await redisInfo(redis);
    const replayed = await replay(Number(new URL(server.url).port), recording.connections, paced);
    const after = await redisInfo(redis);
    const commands = Object.entries(await commandStats([redis]))
      .map(([name, { calls, usec }]) => ({ name, calls, usec }))
      .filter((command) => !['ping', 'script', 'config', 'info'].includes(command.name))
      .sort((a, b) => b.usec - a.usec);
    return { ...replayed, cpuMs: after.cpuMs - before.cpuMs, commandsTop: commands.slice(0, 12) };
  } finally {
    redis.disconnect();
    server.process.kill('SIGKILL');
    await new Promise((resolve) => server.process.once('exit', resolve));
  }
}

/**
 * Redis CPU a latency merge costs a check × vantage at this size: `ids` × 3 vantages merged into the
 * current hour as the notifier does, once to make their rollups (not counted: a running fleet's
 * exist), then again, timed. The fleet runs on meanwhile: its Redis CPU at the window's rate
 * (`baseMsPerMs`) is taken off.
 */
async function timeMerge(rig: Rig, ids: readonly string[], baseMsPerMs: number) {
  const rollups = new LatencyRollups({ redis: rig.bench.redis, keys: rig.bench.keys });
  const bucket = Math.floor(Date.now() / LATENCY_BUCKET_MS);
  const aggregates: LatencyAggregate[] = ids.flatMap((checkId) =>
    VANTAGES.map((vantage) => ({
      checkId,
      vantage,
      bucket,
      samples: 1,
      failures: 0,
      means: { total: 42, dns: 1, connect: 2, tls: 0, firstByte: 30 },
    })),
  );
  await rollups.merge(aggregates);
  const before = await nodesInfo(rig.nodes);
  const started = Date.now();
  await rollups.merge(aggregates);
  const wallMs = Date.now() - started;
  const after = await nodesInfo(rig.nodes);
  const cpuMs = after.cpuMs - before.cpuMs - baseMsPerMs * wallMs;
  return { pairs: aggregates.length, wallMs, cpuMs, usPerPair: (cpuMs * 1000) / aggregates.length };
}

/**
 * Whether the notifier merged in the window or in the 10 minutes before it (a merge of every check
 * lasts minutes here): it merges `mergeEvery` after its last merge and at each hour boundary.
 */
function mergesIn(rig: Rig, options: ScaleBenchOptions, from: number, to: number): boolean {
  const nextHour = (at: number) => (Math.floor(at / LATENCY_BUCKET_MS) + 1) * LATENCY_BUCKET_MS;
  for (let at = rig.notifierStarted ?? from; at <= to; ) {
    at = Math.min(at + options.mergeEvery * 1000, nextHour(at));
    if (at >= from - 600_000 && at <= to) return true;
  }
  return false;
}

/** Wall and CPU (this process and Redis) of `work`. */
async function measure(nodes: readonly Redis[], work: () => Promise<unknown>) {
  const redisBefore = await nodesInfo(nodes);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await work();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const redisAfter = await nodesInfo(nodes);
  return { wallMs, clientCpuMs: (cpu.user + cpu.system) / 1000, redisCpuMs: redisAfter.cpuMs - redisBefore.cpuMs };
}

/** The baseline: `put` for each check, `PUT_PARALLEL` in flight, under a prefix of its own (deleted after). */
async function registerOneByOne(bench: BenchRedis, nodes: readonly Redis[], checks: readonly Check[]) {
  const prefix = `${bench.prefix}-put-baseline`;
  const registry = new CheckRegistry({ redis: bench.redis, keys: { ...bench.keys, ...keysUnder(bench, prefix) } });
  const figures = await measure(nodes, async () => {
    for (let i = 0; i < checks.length; i += PUT_PARALLEL)
      await Promise.all(checks.slice(i, i + PUT_PARALLEL).map((check) => registry.put(check)));
  });
  await deletePrefix(bench.redis, prefix);
  return { checks: checks.length, ...figures, perSecond: (checks.length * 1000) / figures.wallMs };
}

/** The registry's keys under another prefix. */
function keysUnder(bench: BenchRedis, prefix: string) {
  const swap = (key: string) => `${prefix}${key.slice(bench.prefix.length)}`;
  const { checks, checksChanged, checksVersion } = bench.keys;
  return {
    checks: swap(checks),
    checksChanged: swap(checksChanged),
    checksVersion: swap(checksVersion),
    checksOfOwner: (owner: string) => swap(bench.keys.checksOfOwner(owner)),
  };
}

interface RoleEnv {
  config: string;
  vars: Record<string, string>;
}

async function writeRoleEnv(rig: Rig, url: string, options: ScaleBenchOptions): Promise<RoleEnv> {
  const config = join(rig.dir, 'vigil.yaml');
  const file = {
    vantages: VANTAGES,
    allowPrivateTargets: true,
    notifier: { latencyMergeEvery: `${options.mergeEvery}s` },
  };
  await writeFile(config, `${JSON.stringify(file, null, 2)}\n`);
  return { config, vars: { REDIS_URL: url, VIGIL_PREFIX: rig.bench.prefix, VIGIL_SECRET: SECRET, LOG_LEVEL: 'warn' } };
}

/** A role of the fleet as a `vigil` process in the rig's folder, on the rig's config and environment; stopped with the rig. */
async function startFleetRole(rig: Rig, env: RoleEnv, role: 'scheduler' | 'notifier'): Promise<void> {
  rig.roles.push(
    await startRole({
      name: role,
      args: [role, '-c', env.config],
      env: env.vars,
      cwd: rig.dir,
      readyTimeoutMs: RECONCILE_TIMEOUT_MS,
    }),
  );
}

/** The notifier and the synthetic vantages, before the scheduler: the first rounds find them taking work. */
async function startConsumers(rig: Rig, env: RoleEnv, url: string): Promise<void> {
  rig.notifierStarted = Date.now();
  await startFleetRole(rig, env, 'notifier');
  rig.vantage = await startChild('./synthetic-vantage.ts', [
    JSON.stringify({ redisUrl: url, prefix: rig.bench.prefix, vantages: VANTAGES, statsKey: rig.statsKey }),
  ]);
  if (rig.vantage.first !== 'ready') throw new Error(`the synthetic vantages said ${rig.vantage.first}`);
}

async function waitReconciled(bench: BenchRedis, schedulers: number): Promise<void> {
  const deadline = Date.now() + RECONCILE_TIMEOUT_MS;
  let last = 0;
  for (let applied = 0; applied < schedulers; applied = await schedulersApplied(bench)) {
    if (Date.now() > deadline) throw new Error(`the scheduler did not reconcile ${schedulers} job schedulers in time`);
    if (applied - last >= schedulers / 10) {
      progress(`${fmt(applied)} of ${fmt(schedulers)} job schedulers upserted`);
      last = applied;
    }
    await sleep(500);
  }
}

/** Every process, Redis, the probes answered and their lateness, the queues, at one moment. */
async function sample(rig: Rig): Promise<WindowSample> {
  const { bench } = rig;
  const at = Date.now();
  const procs = [...rig.roles.map((role) => ({ name: role.name, pid: role.pid }))];
  if (rig.vantage?.pid) procs.push({ name: 'synthetic vantages (3 ProbeWorkers)', pid: rig.vantage.pid });
  const processes = await Promise.all(procs.map(async ({ name, pid }) => ({ name, ...(await sampleProc(pid)) })));
  const [byNode, commands, stats, counters, waiting] = await Promise.all([
    Promise.all(rig.nodes.map(redisInfo)),
    commandStats(rig.nodes),
    bench.redis.hgetall(rig.statsKey),
    bench.redis.hgetall(bench.keys.proberCounters),
    backlog(bench, VANTAGES),
  ]);
  const probes = VANTAGES.reduce((sum, vantage) => sum + Number(counters[`${vantage}:probes`] ?? 0), 0);
  const expired = VANTAGES.reduce((sum, vantage) => sum + Number(counters[`${vantage}:expired`] ?? 0), 0);
  const lateness = JSON.parse(stats.lateness ?? '{}') as Record<string, number>;
  return {
    at,
    processes,
    redis: sumInfo(byNode),
    redisByNode: byNode,
    commands,
    probes,
    expired,
    answered: Number(stats.answered ?? 0),
    lateness,
    waiting,
    load: loadavg()[0] ?? Number.NaN,
  };
}

/** INFO commandstats over every node: command → calls and microseconds spent, since Redis started. */
async function commandStats(nodes: readonly Redis[]): Promise<Record<string, { calls: number; usec: number }>> {
  const out: Record<string, { calls: number; usec: number }> = {};
  for (const node of nodes) {
    const text = await node.info('commandstats');
    for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
      const name = match[1] ?? '';
      const seen = out[name] ?? { calls: 0, usec: 0 };
      out[name] = { calls: seen.calls + Number(match[2]), usec: seen.usec + Number(match[3]) };
    }
  }
  return out;
}

/** INFO of every node, summed: memory and CPU of the Redis side as a whole. */
async function nodesInfo(nodes: readonly Redis[]): Promise<RedisInfo> {
  return sumInfo(await Promise.all(nodes.map(redisInfo)));
}

function sumInfo(infos: readonly RedisInfo[]): RedisInfo {
  return infos.reduce(
    (total, info) => ({
      usedMemory: total.usedMemory + info.usedMemory,
      rss: total.rss + info.rss,
      cpuMs: total.cpuMs + info.cpuMs,
    }),
    { usedMemory: 0, rss: 0, cpuMs: 0 },
  );
}

/** Until the private redis-server accepts connections (10 s at most), so the first connection does not fail. */
async function listening(url: string): Promise<void> {
  const port = Number(new URL(url).port);
  for (let tries = 0; tries < 200; tries++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      }).once('error', () => resolve(false));
    });
    if (up) return;
    await sleep(50);
  }
}
