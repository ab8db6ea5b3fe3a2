/**
 * The scheduler's own work at fleet size, old against new in one run: the old scheduler computed
 * its slots afresh from every check (`desiredSchedulers`) whenever the registry's version moved; the
 * new one keeps a `SlotPlan` between syncs and applies each announced change to it. Measures, in
 * process CPU and retained heap: (a) a full computation, (b) one check edited / added / deleted /
 * paused, (c) the minute's resync with nothing changed. Pure computation at any size; with
 * `--apply 1` (the default) also the SchedulerSync writes to a real Redis, each side under a prefix
 * of its own (meant for 100,000; use `--apply 0` at 1,000,000).
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Check, CheckRegistry, createLogger, redisKeys } from '@vigil/core';
import { type DesiredScheduler, desiredSchedulers, SchedulerSync, SlotPlan } from '@vigil/scheduler';
import { checkSeries, templateCheck } from './support/checks.js';
import { benchRedis } from './support/redis.js';
import { type BenchReport, progress } from './support/report.js';
import { fmt } from './support/stats.js';

export interface SlotPlanBenchOptions {
  checks: number;
  /** Every check's interval, in seconds. */
  interval: number;
  /** 1: also apply both sides to a real Redis (unique prefixes); 0: pure computation only. */
  apply: number;
  /** 1: time the old side of every change; 0: take (a)'s, which it repeats (at 1,000,000: minutes of CPU each). */
  oldChanges: number;
}

export const SLOT_PLAN_DEFAULTS: SlotPlanBenchOptions = { checks: 100_000, interval: 60, apply: 1, oldChanges: 1 };

const VANTAGES = ['alpha', 'beta', 'gamma'];

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Cost {
  cpuMs: number;
  wallMs: number;
}

async function cost(work: () => unknown): Promise<Cost> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started };
}

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1e6;
}

/** What the old scheduler did on any change: read (parse) every check and slot them all. */
function oldCompute(jsons: readonly string[]): Map<string, DesiredScheduler> {
  const checks = jsons.map((json) => JSON.parse(json) as Check);
  const desired = desiredSchedulers(checks, VANTAGES);
  // Its sync then gathered every target its slots name (removeTargets, repair) and, to compare
  // counts, put every id in its shard: both per apply.
  const keys = redisKeys('bench', {});
  for (const slot of desired.values()) for (const id of Object.keys(slot.targets)) keys.shardOf(id);
  return desired;
}

function planOptions() {
  const keys = redisKeys('bench', {});
  return { vantages: VANTAGES, shards: keys.shards, shardOf: keys.shardOf };
}

function newCompute(jsons: readonly string[], previous?: SlotPlan): SlotPlan {
  const plan = SlotPlan.build(
    jsons.map((json) => JSON.parse(json) as Check),
    planOptions(),
    previous,
  );
  for (const _ of plan.heads()); // every slot's fingerprints, as a full sync compares them
  return plan;
}

/** The change `kind` makes to check `i`: its new JSON, or undefined for a delete. */
function changed(template: Check, kind: string, i: number, count: number): { id: string; json: string | undefined } {
  const id = kind === 'add' ? `added-${i}` : `check-${(i * 7919) % count}`;
  if (kind === 'delete') return { id, json: undefined };
  const check: Check = {
    ...template,
    id,
    ...(kind === 'edit' && { timeoutMs: 9_000 }),
    ...(kind === 'pause' && { paused: true }),
  };
  return { id, json: JSON.stringify(check) };
}

/** The new scheduler's sync of one announced change: read it, move it in the plan, materialize what it touched. */
function newChange(plan: SlotPlan, change: { id: string; json: string | undefined }): Set<string> {
  const check = change.json === undefined ? undefined : (JSON.parse(change.json) as Check);
  const touched = plan.set(change.id, check && plan.toPlanned(check));
  for (const slot of touched) plan.get(slot);
  return touched;
}

/** The minute's resync with nothing changed, in the scheduler's process: every slot compared, every target counted. */
function resyncWork(
  heads: Iterable<{ id: string }>,
  targets: ReadonlyMap<string, { keys(): Iterable<string> }>,
): number {
  const keys = redisKeys('bench', {});
  let n = 0;
  for (const head of heads) n += head.id.length;
  for (const named of targets.values()) for (const id of named.keys()) n += keys.shardOf(id);
  return n;
}

type Row = string[];

/** vantage → check id → JSON: every target a full computation's slots name. */
function namedOf(desired: ReadonlyMap<string, DesiredScheduler>): Map<string, Map<string, string>> {
  const named = new Map<string, Map<string, string>>();
  for (const slot of desired.values()) {
    const byId = named.get(slot.vantage) ?? new Map<string, string>();
    named.set(slot.vantage, byId);
    for (const [id, json] of Object.entries(slot.targets)) byId.set(id, json);
  }
  return named;
}

const KINDS = ['edit', 'add', 'delete', 'pause'];
const PAST: Record<string, string> = { edit: 'edited', add: 'added', delete: 'deleted', pause: 'paused' };

export async function slotPlanBench(options: SlotPlanBenchOptions = SLOT_PLAN_DEFAULTS): Promise<BenchReport> {
  const template = templateCheck({
    http: { url: 'http://127.0.0.1:9/' },
    interval: `${options.interval}s`,
    timeout: '10s',
  });
  const jsons = checkSeries(template, 'check', options.checks).map((check) => JSON.stringify(check));
  const rows: Row[] = [];
  const data: Record<string, unknown> = {};
  const row = (what: string, old: Cost, neu: Cost, extra = '') => {
    rows.push([what, fmt(old.cpuMs, 1), fmt(neu.cpuMs, 2), fmt(old.cpuMs / Math.max(neu.cpuMs, 0.001), 0), extra]);
    progress(`${what}: old ${fmt(old.cpuMs)} ms, new ${fmt(neu.cpuMs, 2)} ms CPU ${extra}`);
    data[what] = { old, new: neu };
  };
  progress(`${fmt(options.checks)} checks × ${VANTAGES.length} vantages every ${options.interval} s`);

  const base = heapMb();
  let oldDesired: Map<string, DesiredScheduler> = new Map();
  const oldFull = await cost(() => {
    oldDesired = oldCompute(jsons);
  });
  // The old scheduler kept its slots and (its sync's WeakMap) every target they name between syncs.
  const oldNamed = namedOf(oldDesired);
  const oldHeap = heapMb() - base;
  const oldResync = await cost(() => resyncWork(oldDesired.values(), oldNamed));
  oldDesired = new Map();
  oldNamed.clear();
  const base2 = heapMb();
  let plan = new SlotPlan(planOptions());
  const newFull = await cost(() => {
    plan = newCompute(jsons);
  });
  const newHeap = heapMb() - base2;
  row('(a) full computation', oldFull, newFull, `kept: old ${fmt(oldHeap)} MB, new ${fmt(newHeap)} MB`);
  data.heapMb = { old: oldHeap, new: newHeap, jsons: base };

  const reread = await cost(() => {
    plan = newCompute(jsons, plan);
  });
  row('(a′) full re-read, chunks kept from the plan before', oldFull, reread);

  for (const [n, kind] of KINDS.entries()) {
    const change = changed(template, kind, 3 + n, options.checks);
    const old = options.oldChanges === 1 ? await cost(() => oldCompute(jsons)) : oldFull;
    let touched = 0;
    const neu = await cost(() => {
      touched = newChange(plan, change).size;
    });
    row(`(b) one check ${PAST[kind] ?? kind}`, old, neu, `${touched} chunks touched`);
  }

  const newResync = await cost(() => resyncWork(plan.heads(), plan.targets()));
  row('(c) minute’s resync, nothing changed (version still)', oldResync, newResync);

  const tables = [
    {
      title: `Scheduler computation: ${fmt(options.checks)} checks × ${VANTAGES.length} vantages, old (re-slot all) vs new (SlotPlan), CPU ms`,
      columns: ['step', 'old CPU ms', 'new CPU ms', 'old ÷ new', 'note'],
      rows,
      notes: [
        'old (a)/(b): parse every check’s JSON, desiredSchedulers(), every target named and its shard (what each sync did)',
        'new (a): parse every check’s JSON, SlotPlan.build(), every slot’s fingerprints; (b): parse one check, plan.set(), the touched chunks materialized',
        '(c): every slot’s fingerprints compared, every target named put in its shard (the store’s count step)',
        `heap kept between syncs = heapUsed after gc with the state held minus without (old: slots and the targets they name); the ${fmt(base)} MB of registry JSON is not in it`,
      ],
    },
  ];
  if (options.apply === 1) {
    tables.push(await applyTable(jsons, template));
    tables.push(await readTable(jsons));
  }
  return { name: 'slot-plan', tables, data: { options, ...data } };
}

/** Both sides through SchedulerSync on a real Redis, each under its own prefix. */
async function applyTable(jsons: readonly string[], template: Check) {
  const log = createLogger({ level: 'warn', destination: process.stderr });
  const sides = await Promise.all([benchRedis(), benchRedis()]);
  const rows: Row[] = [];
  try {
    const [oldBench, newBench] = sides;
    if (!oldBench || !newBench) throw new Error('no bench Redis');
    const sync = (bench: typeof oldBench) =>
      new SchedulerSync({ redis: bench.redis, connection: bench.connection('sync'), keys: bench.keys, log });
    const oldSync = sync(oldBench);
    const newSync = sync(newBench);
    const current = [...jsons];
    let desired = oldCompute(current);
    const plan = SlotPlan.build(
      current.map((json) => JSON.parse(json) as Check),
      { vantages: VANTAGES, shards: newBench.keys.shards, shardOf: newBench.keys.shardOf },
    );
    const add = (what: string, old: Cost, neu: Cost, note: string) =>
      rows.push([what, fmt(old.cpuMs), fmt(old.wallMs), fmt(neu.cpuMs, 1), fmt(neu.wallMs, 1), note]);
    const initialOld = await cost(() => oldSync.apply(desired, VANTAGES, true));
    const initialNew = await cost(() => newSync.apply(plan, VANTAGES, true));
    add('initial apply (thorough)', initialOld, initialNew, '');
    progress('initial applies done');
    for (const [n, kind] of KINDS.entries()) {
      const change = changed(template, kind, 11 + n, jsons.length);
      const at = current.findIndex((json) => json.includes(`"id":"${change.id}"`));
      if (at < 0 && kind !== 'add') throw new Error(`no check ${change.id}`);
      if (change.json === undefined) current.splice(at, 1);
      else if (at < 0) current.push(change.json);
      else current[at] = change.json;
      let oldReport = {};
      let newReport = {};
      const old = await cost(async () => {
        desired = oldCompute(current);
        oldReport = await oldSync.apply(desired, VANTAGES, false);
      });
      const neu = await cost(async () => {
        const check = change.json === undefined ? undefined : (JSON.parse(change.json) as Check);
        const only = plan.set(change.id, check && plan.toPlanned(check));
        newReport = await newSync.apply(plan, VANTAGES, { thorough: false, only });
      });
      add(`one check ${kind}`, old, neu, `old ${JSON.stringify(oldReport)} new ${JSON.stringify(newReport)}`);
    }
    const resyncOld = await cost(() => oldSync.apply(desired, VANTAGES, true));
    const resyncNew = await cost(() => newSync.apply(plan, VANTAGES, true));
    add('thorough resync, nothing changed', resyncOld, resyncNew, '');
    await oldSync.close();
    await newSync.close();
  } finally {
    for (const side of sides) await side.cleanup();
  }
  return {
    title: `SchedulerSync on Redis: ${fmt(jsons.length)} checks × ${VANTAGES.length} vantages, old vs new (bench process CPU and wall, ms)`,
    columns: ['step', 'old CPU', 'old wall', 'new CPU', 'new wall', 'reports (old, new)'],
    rows,
    notes: [
      'old: desiredSchedulers() of every check then apply; new: plan.set() of the one check then apply of the chunks it touched',
    ],
  };
}

/**
 * A full re-read from a real registry: `list()` then `SlotPlan.build` (every Check held at once) vs
 * `SlotPlan.read` over `eachPage` (one page of Checks at a time).
 */
async function readTable(jsons: readonly string[]) {
  const bench = await benchRedis();
  const rows: Row[] = [];
  try {
    const registry = new CheckRegistry(bench);
    await registry.putMany(jsons.map((json) => JSON.parse(json) as Check));
    const options = { vantages: VANTAGES, shards: bench.keys.shards, shardOf: bench.keys.shardOf };
    for (let run = 1; run <= 2; run++) {
      const base = heapMb();
      let checks: Check[] = [];
      const alive: SlotPlan[] = [];
      const listed = await cost(async () => {
        checks = await registry.list();
      });
      const held = heapMb() - base;
      const built = await cost(() => {
        alive.push(SlotPlan.build(checks, options));
      });
      checks = [];
      alive.length = 0;
      const base2 = heapMb();
      let peak = 0;
      const read = await cost(async () => {
        const plan = await SlotPlan.read(
          (visit) =>
            registry.eachPage((page) => {
              visit(page);
              peak = Math.max(peak, process.memoryUsage().heapUsed / 1e6 - base2);
            }),
          options,
        );
        alive.push(plan);
      });
      const kept = heapMb() - base2;
      if (alive[0]?.checkCount !== jsons.length) throw new Error(`read planned ${alive[0]?.checkCount} checks`);
      rows.push([`run ${run}`, fmt(listed.cpuMs + built.cpuMs), fmt(held), fmt(read.cpuMs), fmt(peak), fmt(kept)]);
      alive.length = 0;
    }
  } finally {
    await bench.cleanup();
  }
  return {
    title: `Full re-read of ${fmt(jsons.length)} checks from a real registry: list() + build vs read() page by page`,
    columns: [
      'run',
      'list+build CPU ms',
      'Check[] held MB',
      'read CPU ms',
      'read heap peak MB (no gc)',
      'plan kept MB',
    ],
    rows,
    notes: [
      'Check[] held = heapUsed after gc with list()’s answer held, minus before: what list() + build holds on top of the plan',
      'read heap peak = the largest heapUsed seen after a page, minus before (garbage included): the plan as it grows and a page',
    ],
  };
}
