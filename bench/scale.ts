/**
 * The fleet at a million checks: `checks` HTTP checks × 3 vantages registered through the registry's
 * bulk path (`putMany`, timed beside `put` a check at a time), scheduled by the real scheduler role
 * (`vigil scheduler`) and evaluated by the real notifier role (`vigil notifier`), each a process of
 * its own, with synthetic vantages: real ProbeWorkers that answer every probe from memory (no
 * connections), so scheduling, queues, result batches, recording and evaluation run at full rate.
 * A redis-server of the bench's own (or `--redis-url`), so its CPU and memory are the fleet's alone.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Check, CheckRegistry } from '@vigil/core';
import { deletePrefix } from '@vigil/core/testing';
import { desiredSchedulers } from '@vigil/scheduler';
import { startRedisServer } from './rounds.js';
import { checkSeries, templateCheck } from './support/checks.js';
import { type Child, startChild } from './support/child.js';
import { backlog, redisInfo, schedulersApplied } from './support/fleet-redis.js';
import { type RoleProcess, startRole } from './support/fleet-role.js';
import { sampleProc } from './support/proc-stats.js';
import { type BenchRedis, benchRedis } from './support/redis.js';
import { type BenchReport, progress } from './support/report.js';
import { type ScaleFigures, scaleTables, type WindowSample } from './support/scale-report.js';
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
}

export const SCALE_DEFAULTS: ScaleBenchOptions = {
  checks: 1_000_000,
  interval: 1_200,
  seconds: 60,
  warmup: 15,
  baselineChecks: 20_000,
};

/** Options that are not numbers: `--redis-url` runs the bench on an existing Redis (a unique prefix, deleted after). */
export interface ScaleBenchFlags {
  redisUrl?: string;
}

const VANTAGES = ['alpha', 'beta', 'gamma'];
const SECRET = 'bench-scale-secret-0123456789';
const RECONCILE_TIMEOUT_MS = 20 * 60_000;
const PUT_PARALLEL = 500;

interface Rig {
  bench: BenchRedis;
  dir: string;
  roles: RoleProcess[];
  vantage?: Child;
  statsKey: string;
}

export async function scaleBench(
  options: ScaleBenchOptions = SCALE_DEFAULTS,
  flags: ScaleBenchFlags = {},
): Promise<BenchReport> {
  const server = flags.redisUrl ? undefined : await startRedisServer();
  const url = flags.redisUrl ?? server?.url ?? '';
  if (server) await listening(server.url);
  // On a Redis of its own the default prefix, so key names weigh what a deployment's do.
  const bench = await benchRedis(url, server ? 'vigil' : undefined);
  const rig: Rig = { bench, dir: await mkdtemp(join(tmpdir(), 'vigil-scale-')), roles: [], statsKey: '' };
  rig.statsKey = `${bench.prefix}:bench-synthetic`;
  try {
    const figures = await run(rig, options, url);
    return {
      name: 'scale',
      tables: scaleTables(figures),
      data: { options, redis: server ? 'private' : 'external', figures },
    };
  } finally {
    await Promise.all(rig.roles.splice(0).map((role) => role.stop()));
    await rig.vantage?.stop();
    if (server) {
      bench.disconnect();
      server.process.kill('SIGTERM');
    } else {
      progress('deleting the keys…');
      await bench.cleanup();
    }
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
  const baseline = await registerOneByOne(bench, checks.slice(0, Math.min(options.baselineChecks, checks.length)));
  const empty = await redisInfo(bench.redis);
  const registration = await measure(bench, () => new CheckRegistry(bench).putMany(checks));
  const registered = await redisInfo(bench.redis);
  progress(
    `registered in ${fmt(registration.wallMs / 1000, 1)} s (put, one at a time: ${fmt(baseline.perSecond)} checks/s)`,
  );
  const schedulers = desiredSchedulers(checks, VANTAGES).size;
  checks.length = 0; // the bench's own copy is not the fleet's memory
  const env = await writeRoleEnv(rig, url);
  await startConsumers(rig, env, url);
  const reconcileStarted = Date.now();
  await startFleetRole(rig, env, 'scheduler');
  await waitReconciled(bench, schedulers);
  const reconcileMs = Date.now() - reconcileStarted;
  const scheduled = await redisInfo(bench.redis);
  progress(
    `${fmt(schedulers)} job schedulers reconciled in ${fmt(reconcileMs / 1000, 1)} s; warming up ${options.warmup} s`,
  );
  await sleep(options.warmup * 1000);
  progress(`measuring ${options.seconds} s`);
  const start = await sample(rig);
  await sleep(options.seconds * 1000);
  const end = await sample(rig);
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
  };
}

/** Wall and CPU (this process and Redis) of `work`. */
async function measure(bench: BenchRedis, work: () => Promise<unknown>) {
  const redisBefore = await redisInfo(bench.redis);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await work();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const redisAfter = await redisInfo(bench.redis);
  return { wallMs, clientCpuMs: (cpu.user + cpu.system) / 1000, redisCpuMs: redisAfter.cpuMs - redisBefore.cpuMs };
}

/** The baseline: `put` for each check, `PUT_PARALLEL` in flight, under a prefix of its own (deleted after). */
async function registerOneByOne(bench: BenchRedis, checks: readonly Check[]) {
  const prefix = `${bench.prefix}-put-baseline`;
  const registry = new CheckRegistry({ redis: bench.redis, keys: { ...bench.keys, ...keysUnder(bench, prefix) } });
  const figures = await measure(bench, async () => {
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

async function writeRoleEnv(rig: Rig, url: string): Promise<RoleEnv> {
  const config = join(rig.dir, 'vigil.yaml');
  await writeFile(config, `${JSON.stringify({ vantages: VANTAGES, allowPrivateTargets: true }, null, 2)}\n`);
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
  const [redis, commands, stats, counters, waiting] = await Promise.all([
    redisInfo(bench.redis),
    commandStats(bench),
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
    redis,
    commands,
    probes,
    expired,
    answered: Number(stats.answered ?? 0),
    lateness,
    waiting,
    load: loadavg()[0] ?? Number.NaN,
  };
}

/** INFO commandstats: command → calls and microseconds spent, since Redis started. */
async function commandStats(bench: BenchRedis): Promise<Record<string, { calls: number; usec: number }>> {
  const text = await bench.redis.info('commandstats');
  const out: Record<string, { calls: number; usec: number }> = {};
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm))
    out[match[1] ?? ''] = { calls: Number(match[2]), usec: Number(match[3]) };
  return out;
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
