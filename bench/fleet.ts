/**
 * The fleet's footprint at 1,000 / 10,000 / 50,000 checks: every role as a deployment runs it
 * (`vigil scheduler`, `vigil prober --vantage …` × 3, `vigil notifier`, `vigil web`, each a process
 * of its own through the real CLI), HTTP checks on a loopback target registered straight into the
 * registry, intervals scaled so every size is probed at the same rate. Per role: RSS, peak RSS and
 * CPU over a window, against an idle Node process with the same imports; for Redis: bytes per check.
 * `--kind tcp` makes them TCP checks on the target's TCP port (accept, then close) instead.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Check, validateConfig } from '@vigil/core';
import { desiredSchedulers } from '@vigil/scheduler';
import { checkSeries, templateCheck } from './support/checks.js';
import { type Child, startChild } from './support/child.js';
import {
  backlog,
  type RedisInfo,
  recordedTotal,
  redisInfo,
  registerChecks,
  resultKeysSample,
  schedulersApplied,
} from './support/fleet-redis.js';
import { fleetTables, type ProcessFigures, type SizeFigures } from './support/fleet-report.js';
import { probesTotal, type RoleProcess, startRole } from './support/fleet-role.js';
import { type ProcSample, sampleProc } from './support/proc-stats.js';
import { type BenchRedis, benchRedis } from './support/redis.js';
import { type BenchReport, progress } from './support/report.js';
import { fmt } from './support/stats.js';
import { startTarget, type Target } from './support/target.js';
import { watchWindow } from './support/window-watch.js';

/** What the fleet's checks probe on the loopback target: its HTTP server, or its TCP port. */
export type FleetKind = 'http' | 'tcp';
export const FLEET_KINDS: readonly FleetKind[] = ['http', 'tcp'];

export interface FleetBenchOptions {
  kind: FleetKind;
  /** The sizes measured are those of 1,000, 10,000 and 50,000 checks from `smallest` to `largest`. */
  smallest: number;
  largest: number;
  /** Probes per second the fleet is scheduled for: interval = checks × vantages ÷ rate. */
  rate: number;
  /** The rate at sizes above 10,000, where this machine cannot also carry `rate` (the tables say so). */
  largeRate: number;
  /** The shortest interval used, in seconds (the smallest size would otherwise go below it). */
  minInterval: number;
  /** The measured window, and the least warm-up after every role is ready, in seconds. */
  seconds: number;
  warmup: number;
  /** Registry writes in flight at once while registering. */
  registerParallel: number;
  /** Checks whose result keys are weighed with MEMORY USAGE. */
  sample: number;
  /** Seconds between scrapes of every role's `/metrics` in the window, as Prometheus does (0: none). */
  scrapeEvery: number;
}

export const FLEET_DEFAULTS: FleetBenchOptions = {
  kind: 'http',
  smallest: 1_000,
  largest: 50_000,
  rate: 300,
  largeRate: 150,
  minInterval: 5,
  seconds: 20,
  warmup: 10,
  registerParallel: 500,
  sample: 200,
  scrapeEvery: 15,
};

const SIZES = [1_000, 10_000, 50_000];
const VANTAGES = ['alpha', 'beta', 'gamma'];
const SECRET = 'bench-fleet-secret-0123456789';
/** How long the scheduler may take to upsert every job scheduler, and the probers to drain what waited meanwhile. */
const RECONCILE_TIMEOUT_MS = 10 * 60_000;
const DRAIN_TIMEOUT_MS = 120_000;
/**
 * The baseline's least age at a window: an idle Node process gives back about a third of its
 * memory some 20 s after loading (V8's memory reducer), and is flat from then on.
 */
const BASELINE_SETTLE_MS = 45_000;

/** The target and the baseline, shared by every size. */
interface Rig {
  target: Target;
  baseline: Child;
  baselineStartedAt: number;
}

interface Fleet {
  dir: string;
  roles: RoleProcess[];
  baseline: Child;
}

export async function fleetBench(options: FleetBenchOptions = FLEET_DEFAULTS): Promise<BenchReport> {
  const target = await startTarget();
  const baselineStartedAt = Date.now();
  const baseline = await startChild('./idle-process.js').catch(async (err: unknown) => {
    await target.stop();
    throw err;
  });
  const rig: Rig = { target, baseline, baselineStartedAt };
  const sizes: SizeFigures[] = [];
  try {
    for (const checks of SIZES.filter((size) => size >= options.smallest && size <= options.largest)) {
      sizes.push(await measureSize(checks, rig, options));
    }
  } finally {
    await baseline.stop(2_000);
    await target.stop();
  }
  return { name: 'fleet', tables: fleetTables(sizes, options), data: { options, sizes } };
}

/** Sizes above this are scheduled at `largeRate`. */
const LARGE_FROM = 10_000;

function intervalSeconds(checks: number, options: FleetBenchOptions): number {
  const rate = checks > LARGE_FROM ? options.largeRate : options.rate;
  return Math.max(options.minInterval, Math.round((checks * VANTAGES.length) / rate));
}

async function measureSize(count: number, rig: Rig, options: FleetBenchOptions): Promise<SizeFigures> {
  const { target } = rig;
  const intervalS = intervalSeconds(count, options);
  const spec =
    options.kind === 'tcp' ? { tcp: { host: '127.0.0.1', port: target.tcpPort } } : { http: { url: target.httpUrl } };
  const template = templateCheck({ ...spec, interval: `${intervalS}s`, timeout: '5s' });
  const checks = checkSeries(template, 'check', count);
  const ids = checks.map((check) => check.id);
  const jsonBytes = checks.reduce((sum, check) => sum + Buffer.byteLength(JSON.stringify(check)), 0) / count;
  // BENCH_REDIS_URL: a Redis of the bench's own, so its CPU is the fleet's alone (the default one may be shared).
  const bench = await benchRedis(process.env.BENCH_REDIS_URL || undefined);
  const fleet: Fleet = { dir: await mkdtemp(join(tmpdir(), 'vigil-fleet-')), roles: [], baseline: rig.baseline };
  try {
    progress(
      `${fmt(count)} ${options.kind.toUpperCase()} checks every ${intervalS} s (${fmt((count * VANTAGES.length) / intervalS)} probes/s scheduled)`,
    );
    const { env, memory, reconcileMs, schedulers, waitingAtReconcile } = await registerAndSchedule(bench, fleet, {
      checks,
      parallel: options.registerParallel,
    });
    await startOthers(fleet, env);
    const drained = await warmUp(bench, rig, { rate: (count * VANTAGES.length) / intervalS, warmup: options.warmup });
    progress(`measuring ${options.seconds} s`);
    const window = await measureWindow({
      bench,
      fleet,
      target,
      ids,
      seconds: options.seconds,
      scrapeEvery: options.scrapeEvery,
    });
    const end = await redisInfo(bench.redis);
    const sample = await resultKeysSample(bench, spreadSample(ids, options.sample));
    return {
      checks: count,
      intervalS,
      vantages: VANTAGES.length,
      jsonBytes,
      historySize: validateConfig({ vantages: VANTAGES }, 'bench fixture').history.perCheck,
      reconcileMs,
      schedulers,
      drained,
      waitingAtReconcile,
      memory: { ...memory, end: end.usedMemory },
      sample,
      ...window,
    };
  } finally {
    await stopFleet(fleet);
    progress('deleting the keys…');
    await bench.cleanup();
    await rm(fleet.dir, { recursive: true, force: true });
  }
}

/**
 * Registers every check, then starts `vigil scheduler` and waits until it has upserted every job
 * scheduler; Redis used_memory before, between and after.
 */
async function registerAndSchedule(
  bench: BenchRedis,
  fleet: Fleet,
  work: { checks: readonly Check[]; parallel: number },
) {
  const empty = await redisInfo(bench.redis);
  const registerStarted = Date.now();
  await registerChecks(bench, work.checks, work.parallel);
  const registered = await redisInfo(bench.redis);
  progress(`registered in ${fmt((Date.now() - registerStarted) / 1000, 1)} s`);
  const env = await writeRoleEnv(bench, fleet.dir);
  const reconcileStarted = Date.now();
  fleet.roles.push(
    await startRole({ name: 'scheduler', args: ['scheduler', '-c', env.config], env: env.vars, cwd: fleet.dir }),
  );
  const schedulers = desiredSchedulers(work.checks, VANTAGES).size;
  await waitReconciled(bench, schedulers);
  const reconcileMs = Date.now() - reconcileStarted;
  const scheduled = await redisInfo(bench.redis);
  const waitingAtReconcile = await backlog(bench, VANTAGES);
  progress(`${fmt(schedulers)} job schedulers reconciled in ${fmt(reconcileMs / 1000, 1)} s (process start included)`);
  const memory = { empty: empty.usedMemory, registered: registered.usedMemory, scheduled: scheduled.usedMemory };
  return { env, memory, reconcileMs, schedulers, waitingAtReconcile };
}

/** The config file every role reads (checks are in the registry, not here) and the environment. */
async function writeRoleEnv(bench: BenchRedis, dir: string): Promise<{ config: string; vars: Record<string, string> }> {
  const config = join(dir, 'vigil.yaml');
  await writeFile(config, `${JSON.stringify({ vantages: VANTAGES, allowPrivateTargets: true }, null, 2)}\n`);
  const vars = { REDIS_URL: bench.url, VIGIL_PREFIX: bench.prefix, VIGIL_SECRET: SECRET, LOG_LEVEL: 'warn' };
  return { config, vars };
}

async function waitReconciled(bench: BenchRedis, schedulers: number): Promise<void> {
  const deadline = Date.now() + RECONCILE_TIMEOUT_MS;
  while ((await schedulersApplied(bench)) < schedulers) {
    if (Date.now() > deadline) throw new Error(`the scheduler did not reconcile ${schedulers} job schedulers in time`);
    await sleep(250);
  }
}

/** The probers, the notifier and the web role: started together, as a deployment rolls out. */
async function startOthers(fleet: Fleet, env: { config: string; vars: Record<string, string> }): Promise<void> {
  const specs = [
    ...VANTAGES.map((vantage) => ({ name: `prober ${vantage}`, args: ['prober', '--vantage', vantage] })),
    { name: 'notifier', args: ['notifier'] },
    { name: 'web', args: ['web'] },
  ];
  const started = await Promise.allSettled(
    specs.map((spec) => startRole({ ...spec, args: [...spec.args, '-c', env.config], env: env.vars, cwd: fleet.dir })),
  );
  for (const role of started) if (role.status === 'fulfilled') fleet.roles.push(role.value);
  const failed = started.find((outcome) => outcome.status === 'rejected');
  if (failed?.status === 'rejected') throw failed.reason;
}

/**
 * At least `warmup` seconds, then until what waited while the roles started is worked off: probe
 * jobs down to a fifth of a second's worth, result batches to a tenth (or `DRAIN_TIMEOUT_MS` passed).
 * And until the baseline is `BASELINE_SETTLE_MS` old.
 */
async function warmUp(
  bench: BenchRedis,
  rig: Rig,
  { rate, warmup }: { rate: number; warmup: number },
): Promise<boolean> {
  await sleep(warmup * 1000);
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  const isDrained = (waiting: { probes: number; results: number }) =>
    waiting.probes <= rate / 5 && waiting.results <= rate / 10;
  let waiting = await backlog(bench, VANTAGES);
  while (!isDrained(waiting) && Date.now() < deadline) {
    await sleep(1_000);
    waiting = await backlog(bench, VANTAGES);
  }
  const drained = isDrained(waiting);
  const state = drained ? 'drained' : `NOT drained after ${DRAIN_TIMEOUT_MS / 1000} s more`;
  progress(`${state}: ${fmt(waiting.probes)} probe jobs, ${fmt(waiting.results)} result batches waiting`);
  await sleep(rig.baselineStartedAt + BASELINE_SETTLE_MS - Date.now());
  return drained;
}

interface WindowInput {
  bench: BenchRedis;
  fleet: Fleet;
  target: Target;
  ids: readonly string[];
  seconds: number;
  scrapeEvery: number;
}

type WindowFigures = Pick<
  SizeFigures,
  'processes' | 'probesPerSecond' | 'recordedPerSecond' | 'waitingAtStart' | 'waitingAtEnd' | 'windowMs'
>;

/** RSS is read this often in the window, for its largest. */
const RSS_EVERY_MS = 2_000;

async function measureWindow(input: WindowInput): Promise<WindowFigures> {
  const { bench, fleet, target, ids, seconds } = input;
  const probers = fleet.roles.filter((role) => role.name.startsWith('prober'));
  // Reading every check's ring book takes a while at 50,000: its moment is the middle of the read.
  const counts = async () => {
    const from = Date.now();
    const probes = (await Promise.all(probers.map((role) => probesTotal(role.port)))).reduce((a, b) => a + b, 0);
    const recorded = await recordedTotal(bench, ids);
    return { at: (from + Date.now()) / 2, probes, recorded };
  };
  const waitingAtStart = await backlog(bench, VANTAGES);
  const countsBefore = await counts();
  const before = await sampleAll(fleet, target, bench);
  const largest = await watchWindow({
    pids: fleet.roles.map((role) => role.pid),
    // The web role serves its metrics on another port (9464), and none of the probers' work.
    scrapePorts: fleet.roles.filter((role) => role.name !== 'web').map((role) => role.port),
    ms: seconds * 1000,
    sampleEveryMs: RSS_EVERY_MS,
    scrapeEveryMs: input.scrapeEvery * 1000,
  });
  const after = await sampleAll(fleet, target, bench);
  const countsAfter = await counts();
  const waitingAtEnd = await backlog(bench, VANTAGES);
  const spanS = (countsAfter.at - countsBefore.at) / 1000;
  const probesPerSecond = (countsAfter.probes - countsBefore.probes) / spanS;
  const windowMs = after.at - before.at;
  const processes = after.figures.map((end, i): ProcessFigures => {
    const start = before.figures[i];
    const cpuMs = end.cpuMs - (start?.cpuMs ?? Number.NaN);
    const pid = i > 0 ? fleet.roles[i - 1]?.pid : undefined;
    return {
      name: end.name,
      rssStart: start?.rss ?? Number.NaN,
      rss: end.rss,
      rssMax: Math.max(end.rss, start?.rss ?? 0, (pid !== undefined && largest.get(pid)) || 0),
      hwm: end.hwm,
      cpuPercent: (cpuMs / windowMs) * 100,
      cpuMsPerKProbes: (cpuMs / (probesPerSecond * (windowMs / 1000))) * 1000,
    };
  });
  const recordedPerSecond = (countsAfter.recorded - countsBefore.recorded) / spanS;
  return { processes, probesPerSecond, recordedPerSecond, waitingAtStart, waitingAtEnd, windowMs };
}

type Named = ProcSample & { name: string };

/** The baseline, every role, the target and Redis (used_memory_rss; no peak), at one moment. */
async function sampleAll(fleet: Fleet, target: Target, bench: BenchRedis): Promise<{ at: number; figures: Named[] }> {
  const named = async (name: string, pid: number | undefined): Promise<Named> =>
    pid === undefined
      ? { name, rss: Number.NaN, hwm: Number.NaN, cpuMs: Number.NaN }
      : { name, ...(await sampleProc(pid)) };
  const at = Date.now();
  const figures = await Promise.all([
    named('baseline: idle node + the compiled packages', fleet.baseline.pid),
    ...fleet.roles.map((role) => named(role.name, role.pid)),
    named('target (loopback HTTP, TCP)', target.pid),
  ]);
  const redis: RedisInfo = await redisInfo(bench.redis);
  figures.push({ name: 'redis-server', rss: redis.rss, hwm: Number.NaN, cpuMs: redis.cpuMs });
  return { at, figures };
}

/** `count` ids spread evenly over all of them. */
function spreadSample(ids: readonly string[], count: number): string[] {
  const step = Math.max(1, Math.floor(ids.length / count));
  return ids.filter((_, i) => i % step === 0).slice(0, count);
}

/** The scheduler first (no new rounds), then the other roles at once; each finishes its in-flight work. */
async function stopFleet(fleet: Fleet): Promise<void> {
  const roles = fleet.roles.splice(0);
  const scheduler = roles.find((role) => role.name === 'scheduler');
  await scheduler?.stop();
  await Promise.all(roles.filter((role) => role !== scheduler).map((role) => role.stop()));
}
