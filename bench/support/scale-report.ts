/** The table of `pnpm bench scale`: what a million checks cost, and the Redis cores 1,000,000 checks every 60 s would need. */
import { DEFAULT_LATENCY_MERGE_MS, formatDuration } from '@vigil/core';
import type { ScaleBenchOptions } from '../scale.js';
import type { RedisInfo } from './fleet-redis.js';
import type { ProcSample } from './proc-stats.js';
import { fmt } from './stats.js';
import type { Table } from './table.js';

export interface WindowSample {
  at: number;
  processes: (ProcSample & { name: string })[];
  /** The Redis side as a whole (every master's INFO summed on a cluster), and each node's. */
  redis: RedisInfo;
  redisByNode: RedisInfo[];
  /** INFO commandstats (summed over the nodes): calls and µs by command since Redis started. */
  commands: Record<string, { calls: number; usec: number }>;
  /** Probes the synthetic vantages answered, and rounds their workers dropped as expired (flushed every second). */
  answered: number;
  expired: number;
  probes: number;
  /** Start lateness histogram: ms → probes, since the vantages started. */
  lateness: Record<string, number>;
  waiting: { probes: number; results: number };
  /** The machine's 1-minute load average. */
  load: number;
}

interface Timed {
  wallMs: number;
  clientCpuMs: number;
  redisCpuMs: number;
}

export interface ScaleFigures {
  options: ScaleBenchOptions;
  vantages: number;
  /** Probes per second scheduled. */
  rate: number;
  registration: Timed;
  baseline: Timed & { checks: number; perSecond: number };
  schedulers: number;
  reconcileMs: number;
  /** Redis used_memory: before registering, after, once every job scheduler exists. */
  memory: { empty: number; registered: number; scheduled: number };
  start: WindowSample;
  end: WindowSample;
  /** A latency merge timed after the window: check × vantage pairs merged, and Redis CPU over the fleet's own. */
  merge: { pairs: number; wallMs: number; cpuMs: number; usPerPair: number };
  /** The notifier merged in (or just before) the window: its figure holds merges at this interval's rate. */
  mergesInWindow: boolean;
  /** After the window, the probe queues paused: Redis CPU a second with no probe (fixed work), probes answered meanwhile. */
  idle?: {
    seconds: number;
    cpuMsPerS: number;
    answered: number;
    /** INFO commandstats over the paused window, by command, busiest first. */
    commands: { name: string; callsPerS: number; usecPerS: number }[];
  };
  /** `--replay`: the fleet's commands recorded after the paused window, replayed on the snapshot at their pace and back to back. */
  replay?: ReplayFigures;
}

export interface ReplayRun {
  wallMs: number;
  /** The replay server's CPU over the replay (INFO used_cpu_user + used_cpu_sys). */
  cpuMs: number;
  /** Replies counted (one a command), errors among them and the first few. */
  commands: number;
  errors: number;
  errorTexts: string[];
  /** INFO commandstats of the replay server, busiest first. */
  commandsTop: { name: string; calls: number; usec: number }[];
}

export interface ReplayFigures {
  /** The snapshot's BGSAVE, waited for before recording: the fleet's commands meanwhile are in neither. */
  snapshotMs: number;
  /** The recording: its seconds, probes answered in it and the fleet's Redis CPU meanwhile. */
  seconds: number;
  answered: number;
  windowCpuMs: number;
  /** Results in the recorded record-results calls, those calls, and rounds in the apply-verdicts calls. */
  results: number;
  recordCalls: number;
  rounds: number;
  connections: number;
  commands: number;
  /** Commands not replayed: blocking ones (BZPOPMIN…) and every command of a subscriber connection. */
  dropped: number;
  bytes: number;
  /** Scripts called (EVALSHA) whose body never passed the proxy: their calls fail in the replay. */
  missingScripts: number;
  /** Calls of the commands the scripts run while recording (INFO commandstats), to set beside each replay's. */
  recordedCalls: Record<string, number>;
  paced: ReplayRun;
  full: ReplayRun;
}

const MB = 1_048_576;
/** The fleet DESIGN.md sizes one Redis core for: 1,000,000 checks every 60 s from 3 vantages. */
const TARGET_RATE = (1_000_000 * 3) / 60;
/** At that fleet's 60 s interval, the results a check × vantage gets between merges at the default period. */
const RESULTS_A_PERIOD_AT_60S = DEFAULT_LATENCY_MERGE_MS / 60_000;

/**
 * Merges a check × vantage costs a period when `notifiers` share its `results` at random (result
 * batches go to whichever notifier takes them, each merging the part it holds): the notifiers that
 * got at least one.
 */
export function mergesAPeriod(notifiers: number, results: number): number {
  return notifiers * (1 - (1 - 1 / notifiers) ** results);
}

/** Percentiles of the probes counted in `end` and not in `start`. */
function windowPercentiles(start: Record<string, number>, end: Record<string, number>, ps: readonly number[]) {
  const buckets = Object.entries(end)
    .map(([ms, count]) => [Number(ms), count - (start[ms] ?? 0)] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, count]) => sum + count, 0);
  return ps.map((p) => {
    let seen = 0;
    for (const [ms, count] of buckets) {
      seen += count;
      if (seen >= (p / 100) * total) return ms;
    }
    return Number.NaN;
  });
}

/** `where` names the Redis in the titles: one server, or a cluster run beside it. */
export function scaleTables(f: ScaleFigures, where = ''): Table[] {
  const { options, start, end } = f;
  const windowS = (end.at - start.at) / 1000;
  const probes = end.answered - start.answered;
  const perProbeUs = (cpuMs: number) => (cpuMs * 1000) / probes;
  const redisUs = perProbeUs(end.redis.cpuMs - start.redis.cpuMs);
  const proc = (name: string) => {
    const a = start.processes.find((p) => p.name === name);
    const b = end.processes.find((p) => p.name === name);
    return {
      rss: b?.rss ?? Number.NaN,
      hwm: b?.hwm ?? Number.NaN,
      cpuMs: (b?.cpuMs ?? Number.NaN) - (a?.cpuMs ?? Number.NaN),
    };
  };
  // The notifiers 1,000,000 checks every 60 s need at this one's CPU a probe, a core each: they
  // share each check's results, and each merges its part.
  const notifierUs = perProbeUs(proc('notifier').cpuMs);
  const notifiers = Math.max(1, Math.ceil((notifierUs * TARGET_RATE) / 1e6));
  const merges = mergesAPeriod(notifiers, RESULTS_A_PERIOD_AT_60S);
  // Merges in the window are this interval's (one a result): then the figure stands as measured.
  const mergeUs = f.mergesInWindow ? 0 : (f.merge.usPerPair * merges) / RESULTS_A_PERIOD_AT_60S;
  const at60Us = redisUs + mergeUs;
  // Work done whatever the rate, counted once at 60 s: the window's rest is the probes'. Only the
  // paused window's command time (a script's commands counted once, under their own names): its
  // CPU beyond them is mostly wake-ups from idle, dearer than the same requests cost a busy server,
  // so it stays in the probes' share.
  const fixedMsPerS = f.idle && fixedCommandMs(f.idle.commands);
  const variableUs =
    fixedMsPerS === undefined ? undefined : perProbeUs(end.redis.cpuMs - start.redis.cpuMs - fixedMsPerS * windowS);
  const fixedCores =
    fixedMsPerS === undefined || variableUs === undefined
      ? undefined
      : fixedMsPerS / 1000 + ((variableUs + mergeUs) * TARGET_RATE) / 1e6;
  const [p50, p99, max] = windowPercentiles(start.lateness, end.lateness, [50, 99, 100]);
  const perCheck = (bytes: number) => fmt(bytes / options.checks);
  const bulkPerSecond = (options.checks * 1000) / f.registration.wallMs;
  const rows: string[][] = [
    [
      `register ${fmt(options.checks)} checks (putMany), s`,
      fmt(f.registration.wallMs / 1000, 1),
      fmt(options.checks / f.baseline.perSecond, 1),
      `${fmt(bulkPerSecond / f.baseline.perSecond, 1)}×`,
      '',
    ],
    [
      '  checks registered/s',
      fmt(bulkPerSecond),
      fmt(f.baseline.perSecond),
      `${fmt(bulkPerSecond / f.baseline.perSecond, 1)}×`,
      '',
    ],
    [
      '  Redis CPU µs per check registered',
      fmt((f.registration.redisCpuMs * 1000) / options.checks, 1),
      fmt((f.baseline.redisCpuMs * 1000) / f.baseline.checks, 1),
      '',
      '',
    ],
    [
      '  client CPU µs per check registered',
      fmt((f.registration.clientCpuMs * 1000) / options.checks, 1),
      fmt((f.baseline.clientCpuMs * 1000) / f.baseline.checks, 1),
      '',
      '',
    ],
    ['Redis used_memory per check: registry, B', perCheck(f.memory.registered - f.memory.empty), '', '', ''],
    ['  + slot members, targets, job schedulers, B', perCheck(f.memory.scheduled - f.memory.registered), '', '', ''],
    [
      '  everything at the window’s end, B',
      perCheck(end.redis.usedMemory - f.memory.empty),
      '',
      '',
      '≤ 6,000 (full history)',
    ],
    ['job schedulers', fmt(f.schedulers), '', '', ''],
    ['initial reconcile (scheduler start → all upserted), s', fmt(f.reconcileMs / 1000, 1), '', '', ''],
    ['scheduler RSS (peak), MB', `${fmt(proc('scheduler').rss / MB)} (${fmt(proc('scheduler').hwm / MB)})`, '', '', ''],
    ['notifier RSS (peak), MB', `${fmt(proc('notifier').rss / MB)} (${fmt(proc('notifier').hwm / MB)})`, '', '', ''],
    ['probes/s answered (scheduled)', fmt(probes / windowS), fmt(f.rate), `${fmt(probes / windowS / f.rate, 2)}×`, ''],
    ['start lateness p50 / p99 / max, ms', `${fmt(p50)} / ${fmt(p99)} / ${fmt(max)}`, '', '', 'p99 < 1,000'],
    ['rounds dropped as expired in the window', fmt(end.expired - start.expired), '', '', '0'],
    [
      f.mergesInWindow ? 'Redis CPU per probe (latency merges in the window), µs' : 'Redis CPU per probe, µs',
      fmt(redisUs, 1),
      '',
      '',
      '',
    ],
    [
      `  latency merge, Redis µs a check × vantage (${fmt(f.merge.pairs)} timed after the window)`,
      fmt(f.merge.usPerPair, 1),
      '',
      '',
      '',
    ],
    [
      `  + merges at 60 s every ${formatDuration(DEFAULT_LATENCY_MERGE_MS)} by ${notifiers} notifier${notifiers > 1 ? 's' : ''} (${fmt(merges, 1)} a check × vantage for ${fmt(RESULTS_A_PERIOD_AT_60S)} results), µs a probe`,
      f.mergesInWindow ? 'in the window' : fmt(mergeUs, 1),
      '',
      '',
      '',
    ],
    ['  Redis CPU per probe at 60 s intervals, µs', fmt(at60Us, 1), '', '', `≤ ${fmt(1e6 / TARGET_RATE)} (one core)`],
    ['notifier CPU per probe, µs', fmt(notifierUs, 1), '', '', '≤ 60'],
    ['scheduler CPU per probe, µs', fmt(perProbeUs(proc('scheduler').cpuMs), 1), '', '', ''],
    [
      'synthetic vantages’ CPU per probe, µs',
      fmt(perProbeUs(proc('synthetic vantages (3 ProbeWorkers)').cpuMs), 1),
      '',
      '',
      '',
    ],
    [
      'Redis cores for 1,000,000 checks every 60 s × 3 vantages (all of the window a probe’s)',
      fmt((at60Us * TARGET_RATE) / 1e6, 2),
      '',
      '',
      '1',
    ],
    ...(f.idle && variableUs !== undefined && fixedCores !== undefined
      ? [
          [
            `  Redis CPU with the probe queues paused (${fmt(f.idle.answered)} probes answered in ${fmt(f.idle.seconds)} s), ms a second`,
            fmt(f.idle.cpuMsPerS, 1),
            '',
            '',
            '',
          ],
          ['    of it, commands (the fixed work counted once), ms a second', fmt(fixedMsPerS ?? 0, 1), '', '', ''],
          ['  Redis CPU per probe less the fixed work, µs', fmt(variableUs, 1), '', '', ''],
          [
            'Redis cores for 1,000,000 checks every 60 s × 3 vantages (fixed work once, the rest a probe’s)',
            fmt(fixedCores, 2),
            '',
            '',
            '1',
          ],
        ]
      : []),
  ];
  return [
    {
      title: `Scale${where}: ${fmt(options.checks)} HTTP checks × ${f.vantages} vantages every ${fmt(options.interval)} s (${fmt(f.rate)} probes/s scheduled), synthetic vantages; ${fmt(windowS)} s window`,
      columns: ['metric', 'measured', 'baseline', 'ratio', 'goal'],
      rows,
      notes: [
        `baseline for registration: CheckRegistry.put a check at a time (${fmt(f.baseline.checks)} checks, 500 in flight) in the same run, extrapolated; putMany: chunks of 1,000, 4 in flight`,
        'scheduler and notifier: `vigil scheduler` / `vigil notifier` (compiled CLI, own processes); synthetic vantages: 3 real ProbeWorkers in one process answering from memory (no connections)',
        'CPU per probe = CPU over the window (Redis: INFO used_cpu_user + used_cpu_sys; processes: /proc utime + stime) ÷ probes answered in it',
        `Redis cores = Redis CPU per probe at 60 s × ${fmt(TARGET_RATE)} probes/s; used_memory per check counts results of the rounds run so far, not a full history`,
        ...(f.idle
          ? [
              `fixed work: the command time a second after the window with every vantage's probe queue paused (${fmt(options.idleSeconds)} s, --idleSeconds, after 20 s to settle; 0 skips it), every role running: timers, reconciles, idle reads (a script's commands once; the Lua around them, and the CPU beyond commands, mostly wake-ups from idle, left in the probes' share); the second cores line counts it once and the window's rest at ${fmt(TARGET_RATE)} probes/s (BullMQ's work a slot job stays in the probes' share too)`,
            ]
          : []),
        f.mergesInWindow
          ? `latency merges fell in the window (every ${fmt(options.mergeEvery)} s, --mergeEvery, or an hour boundary): at ${fmt(options.interval)} s intervals a merge holds about ${fmt(Math.max(1, options.mergeEvery / options.interval), 1)} results, a 60 s fleet's ${fmt(RESULTS_A_PERIOD_AT_60S)}: the figure overstates its`
          : `latency merges: this notifier merges every ${fmt(options.mergeEvery)} s (--mergeEvery) and at hour boundaries, none in the window; a merge costs Redis per check × vantage whatever it holds (${fmt(f.merge.usPerPair, 1)} µs, ${fmt(f.merge.pairs)} timed after the window on the fleet's keys, less the fleet's Redis rate in the window); a 60 s fleet's ${notifiers} notifier(s) (this one's CPU a probe × ${fmt(TARGET_RATE)} probes/s, a core each) each merge their part of a check × vantage's ${fmt(RESULTS_A_PERIOD_AT_60S)} results every ${formatDuration(DEFAULT_LATENCY_MERGE_MS)} (\`latencyMergeEvery\`)`,
        options.warmup >= options.interval
          ? `the window holds checks' later rounds (warm-up ${fmt(options.warmup)} s ≥ the interval): what a running fleet costs`
          : `the window holds checks' first rounds (warm-up ${fmt(options.warmup)} s < the interval): every ring, latest hash and state made in it, a registration's cost; \`--warmup\` above the interval measures later rounds`,
        `queues at the window's start / end: probe jobs ${fmt(start.waiting.probes)} / ${fmt(end.waiting.probes)}, result batches ${fmt(start.waiting.results)} / ${fmt(end.waiting.results)}`,
        `machine load (1 min) at the window's start / end: ${fmt(start.load, 2)} / ${fmt(end.load, 2)} on 2 cores shared with other work`,
      ],
    },
    commandsTable(f, probes, where),
    ...(f.idle ? [idleTable(f.idle, where)] : []),
    ...(f.replay ? [replayTable(f.replay, f, mergeUs, where)] : []),
  ];
}

/** Commands record-results.lua runs for a result: their counts say a replay took the recorded paths. */
const INNER = ['hmget', 'setrange', 'hset'];

function callsOf(run: ReplayRun, name: string): number {
  return run.commandsTop.find((command) => command.name === name)?.calls ?? 0;
}

/**
 * The recording and its two replays: Redis CPU a result recorded, at the pace recorded (the window's
 * figure again, on the snapshot) and back to back (Redis busy), and the cores that gives 1,000,000
 * checks every 60 s (merges added as in the main table).
 */
function replayTable(r: ReplayFigures, f: ScaleFigures, mergeUs: number, where: string): Table {
  const perResult = (cpuMs: number) => (cpuMs * 1000) / r.results;
  const row = (name: string, run: ReplayRun | undefined, cpuMs: number, wallMs: number) => [
    name,
    fmt(wallMs / 1000, 1),
    fmt(cpuMs / wallMs, 2),
    fmt(perResult(cpuMs), 1),
    run ? fmt(run.errors) : '',
    fmt(((perResult(cpuMs) + mergeUs) * TARGET_RATE) / 1e6, 2),
  ];
  return {
    title: `Redis busy${where}: ${fmt(r.seconds)} s of the fleet's commands (${fmt(r.results)} results, ${fmt(r.rounds)} rounds decided) recorded, then replayed on its snapshot`,
    columns: [
      'run',
      'wall s',
      'Redis CPU ÷ wall',
      'Redis CPU µs a result',
      'error replies',
      'Redis cores at 60 s (+ merges)',
    ],
    rows: [
      row('the fleet, recorded (proxied)', undefined, r.windowCpuMs, r.seconds * 1000),
      row('replayed at its pace', r.paced, r.paced.cpuMs, r.paced.wallMs),
      row('replayed back to back', r.full, r.full.cpuMs, r.full.wallMs),
    ],
    notes: [
      `recorded: ${fmt(r.connections)} connections, ${fmt(r.commands)} commands (${fmt(r.bytes / 1_048_576, 1)} MB), ${fmt(r.recordCalls)} record-results calls; ${fmt(r.dropped)} left out (blocking reads, subscribers); ${fmt(r.answered)} probes answered while recording; scripts called but never seen loaded: ${fmt(r.missingScripts)}`,
      `each replay on a fresh redis-server loaded from a snapshot (BGSAVE, ${fmt(r.snapshotMs / 1000, 1)} s, waited for: the fleet's commands meanwhile in neither it nor the recording) taken just before the recording, every script the roles loaded loaded first; a connection a recorded connection, each group of commands (one write of the role) sent when the replies of the one before are in; XREADGROUP without BLOCK; stream ids are new, so XACK and XDEL of recorded ids find nothing`,
      `back to back, Redis is busy: the rate of a fleet ${fmt(r.full.wallMs > 0 ? r.paced.wallMs / r.full.wallMs : 0, 1)}× this one; at its pace, the control (same commands, same data, the fleet's pace)`,
      `+ merges: ${fmt(mergeUs, 1)} µs a probe, as in the table above; error replies: ${[...new Set([...r.paced.errorTexts, ...r.full.errorTexts])].slice(0, 3).join(' | ') || 'none'}`,
      `back to back, busiest commands (µs a result): ${r.full.commandsTop.map((c) => `${c.name} ${fmt(c.usec / r.results, 1)}`).join(', ')}`,
      `the same paths taken (calls a result recorded · at its pace · back to back): ${INNER.map((name) => `${name} ${[r.recordedCalls[name] ?? 0, callsOf(r.paced, name), callsOf(r.full, name)].map((calls) => fmt(calls / r.results, 2)).join(' · ')}`).join(', ')}`,
      `the fleet's own window: ${fmt((f.end.answered - f.start.answered) / ((f.end.at - f.start.at) / 1000))} probes/s`,
    ],
  };
}

/** Command time a second (ms) of the paused window, a script's commands once: under their own names, not again in evalsha. */
function fixedCommandMs(commands: NonNullable<ScaleFigures['idle']>['commands']): number {
  return commands.reduce((sum, command) => sum + (command.name === 'evalsha' ? 0 : command.usecPerS), 0) / 1000;
}

/** What Redis ran with the probe queues paused: the fixed work, by command. */
function idleTable(idle: NonNullable<ScaleFigures['idle']>, where: string): Table {
  const commandMs = idle.commands.reduce((sum, command) => sum + command.usecPerS, 0) / 1000;
  return {
    title: `Redis with the probe queues paused${where}: ${fmt(idle.cpuMsPerS, 1)} ms of CPU a second over ${fmt(idle.seconds)} s, by command (INFO commandstats)`,
    columns: ['command', 'calls/s', 'µs/s'],
    rows: idle.commands.slice(0, 10).map((command) => [command.name, fmt(command.callsPerS, 1), fmt(command.usecPerS)]),
    notes: [
      `commands ${fmt(commandMs, 1)} ms a second (a command a script runs counted again inside evalsha); the rest is networking, the event loop and redis-server's own cron`,
    ],
  };
}

/**
 * One server against the cluster run after it: Redis CPU per probe on each master, the busiest, all
 * together, and what the busiest bounds (a Redis runs commands on one core, so the Redis side
 * saturates when its busiest master does).
 */
export function clusterScaleTable(single: ScaleFigures, cluster: ScaleFigures, options: ScaleBenchOptions): Table {
  const probesOf = (f: ScaleFigures) => f.end.answered - f.start.answered;
  const windowS = (f: ScaleFigures) => (f.end.at - f.start.at) / 1000;
  const perProbe = (f: ScaleFigures, cpuMs: number) => (cpuMs * 1000) / probesOf(f);
  const byNode = (f: ScaleFigures) =>
    f.end.redisByNode.map((info, i) => info.cpuMs - (f.start.redisByNode[i]?.cpuMs ?? 0));
  const proc = (f: ScaleFigures, name: string) =>
    (f.end.processes.find((p) => p.name === name)?.cpuMs ?? Number.NaN) -
    (f.start.processes.find((p) => p.name === name)?.cpuMs ?? Number.NaN);
  const singleUs = perProbe(single, single.end.redis.cpuMs - single.start.redis.cpuMs);
  const masters = byNode(cluster).map((ms) => perProbe(cluster, ms));
  const busiest = Math.max(...masters);
  const allUs = perProbe(cluster, cluster.end.redis.cpuMs - cluster.start.redis.cpuMs);
  const row = (metric: string, one: string, many: string, ratio = '') => [metric, one, many, ratio];
  return {
    title: `The same on a ${options.masters}-master Redis Cluster (${options.shards} shards), against one redis-server measured in the same run`,
    columns: ['metric', '1 server', 'cluster', 'ratio'],
    rows: [
      row('Redis CPU per probe, each master, µs', fmt(singleUs, 1), masters.map((us) => fmt(us, 1)).join(' / ')),
      row('  busiest master, µs', fmt(singleUs, 1), fmt(busiest, 1), `${fmt(singleUs / busiest, 2)}× capacity`),
      row('  all masters together, µs', fmt(singleUs, 1), fmt(allUs, 1), `${fmt(allUs / singleUs, 2)}× the CPU`),
      row(
        'notifier CPU per probe, µs',
        fmt(perProbe(single, proc(single, 'notifier')), 1),
        fmt(perProbe(cluster, proc(cluster, 'notifier')), 1),
        `${fmt(proc(cluster, 'notifier') / probesOf(cluster) / (proc(single, 'notifier') / probesOf(single)), 2)}×`,
      ),
      row(
        'probes/s answered (load-dependent)',
        fmt(probesOf(single) / windowS(single)),
        fmt(probesOf(cluster) / windowS(cluster)),
        `${fmt(probesOf(cluster) / windowS(cluster) / (probesOf(single) / windowS(single)), 2)}×`,
      ),
      row(
        'rounds dropped as expired in the window',
        fmt(single.end.expired - single.start.expired),
        fmt(cluster.end.expired - cluster.start.expired),
      ),
    ],
    notes: [
      'capacity = one server’s Redis CPU per probe ÷ the busiest master’s: how much more the Redis side carries before its busiest core saturates',
      `probes/s is what the scheduler, notifier and synthetic vantages kept up with at the scheduled ${fmt(single.rate)} probes/s on this shared 2-core machine, not what Redis can do: it cannot grow ${options.masters}× here (every master, role and vantage shares the same 2 cores)`,
      'CPU per master: INFO used_cpu_user + used_cpu_sys deltas of each master over the window ÷ probes answered in it',
    ],
  };
}

/** Where Redis's time went over the window, by command (every script shows as evalsha), per probe. */
function commandsTable(f: ScaleFigures, probes: number, where: string): Table {
  const rows = Object.entries(f.end.commands)
    .map(([name, end]) => {
      const start = f.start.commands[name] ?? { calls: 0, usec: 0 };
      return { name, calls: end.calls - start.calls, usec: end.usec - start.usec };
    })
    .filter((row) => row.calls > 0)
    .sort((a, b) => b.usec - a.usec)
    .slice(0, 10);
  const cpuUs = (f.end.redis.cpuMs - f.start.redis.cpuMs) * 1000;
  return {
    title: `Redis time by command over the window (INFO commandstats${where ? ', every master' : ''})${where}, per probe answered`,
    columns: ['command', 'calls/probe', 'µs/probe', 'share of Redis CPU'],
    rows: rows.map((row) => [
      row.name,
      fmt(row.calls / probes, 2),
      fmt(row.usec / probes, 1),
      `${fmt((row.usec / cpuUs) * 100)} %`,
    ]),
    notes: [
      'µs: time Redis spent running the command; a command a script runs counts under its own name and again inside evalsha',
      'Redis CPU beyond the commands: networking, client buffers, expiry, the event loop',
    ],
  };
}
