/**
 * Detection latency and page storms, end to end: probers of three vantages (one process each), the
 * Notifier with real channels (its own process) and the Scheduler, paging one person by email
 * through a real SMTP server. Trials time a loopback target failing to its page arriving, against
 * the `confirmations × interval` the design promises; storms fail 1,000 checks at once and count
 * the pages and incidents (expected: one per component), with the notifier's memory meanwhile.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '@vigil/core/testing';
import { type MailSink, startMailSink } from '../test/support/mail-sink.js';
import { proberSettings } from './support/checks.js';
import { runStorm, type StormFigures } from './support/page-storm.js';
import {
  ONCALL,
  pagedIncident,
  pagingConfig,
  triggerPages,
  VANTAGES,
  validatedChecks,
} from './support/paging-config.js';
import { type PagingFleet, startPagingFleet } from './support/paging-fleet.js';
import { type BenchReport, progress } from './support/report.js';
import { fmt, percentile } from './support/stats.js';
import { type SwitchTarget, startSwitchTarget } from './support/switch-target.js';
import type { Table } from './support/table.js';

export interface DetectBenchOptions {
  /** Detection trials, each with a check of its own. */
  trials: number;
  /** The detection check's interval and timeout, and the failed rounds that confirm it down. */
  intervalMs: number;
  timeoutMs: number;
  confirmations: number;
  /** Checks in each storm; the second storm spreads them over `components`. */
  checks: number;
  components: number;
  stormIntervalMs: number;
  stormTimeoutMs: number;
  /** After a storm's last check joined, how long pages and incidents are still counted. */
  settleMs: number;
  /** Probes in flight per prober process (and against the one target host) during storms. */
  proberConcurrency: number;
}

export const DETECT_DEFAULTS: DetectBenchOptions = {
  trials: 10,
  intervalMs: 1_000,
  timeoutMs: 800,
  confirmations: 2,
  checks: 1_000,
  components: 10,
  stormIntervalMs: 2_000,
  stormTimeoutMs: 1_000,
  settleMs: 3_000,
  proberConcurrency: 500,
};

/** Epoch ms of one trial's milestones. */
interface Trial {
  killedAt: number;
  /** The slot of the first round that failed, and of the round that confirmed the check down. */
  firstFailedRound: number;
  confirmingRound: number;
  detectedAt: number;
  pagedAt: number;
}

interface Rig {
  target: SwitchTarget;
  mail: MailSink;
}

const UP_TIMEOUT_MS = 20_000;
const PAGE_TIMEOUT_MS = 30_000;
const RESOLVE_TIMEOUT_MS = 30_000;

export async function detectBench(options: DetectBenchOptions = DETECT_DEFAULTS): Promise<BenchReport> {
  const target = await startSwitchTarget();
  const mail = await startMailSink().catch(async (err: unknown) => {
    await target.stop();
    throw err;
  });
  const rig: Rig = { target, mail };
  try {
    const trials = await runTrials(rig, options);
    const storms: StormFigures[] = [];
    for (const components of [1, options.components]) {
      progress(`storm: ${fmt(options.checks)} checks over ${components} component(s)`);
      storms.push(
        await runStorm(
          {
            checks: options.checks,
            components,
            intervalMs: options.stormIntervalMs,
            timeoutMs: options.stormTimeoutMs,
            confirmations: options.confirmations,
            settleMs: options.settleMs,
            proberConcurrency: options.proberConcurrency,
          },
          rig,
        ),
      );
    }
    return report(trials, storms, options);
  } finally {
    await mail.stop();
    await target.stop();
  }
}

/** One fleet for every trial; each trial registers a fresh check, so its incident is its own. */
async function runTrials(rig: Rig, options: DetectBenchOptions): Promise<Trial[]> {
  const config = pagingConfig([]);
  const fleet = await startPagingFleet({
    vantages: VANTAGES,
    config,
    smtpUrl: rig.mail.url,
    prober: proberSettings(),
  });
  try {
    await fleet.schedule();
    const trials: Trial[] = [];
    for (let n = 1; n <= options.trials; n++) {
      const trial = await runTrial(fleet, rig, { options, config, n });
      trials.push(trial);
      progress(
        `trial ${n}/${options.trials}: paged ${trial.pagedAt - trial.killedAt} ms after the kill (opened at ${trial.detectedAt - trial.killedAt} ms)`,
      );
    }
    return trials;
  } finally {
    await fleet.close();
  }
}

async function runTrial(
  fleet: PagingFleet,
  rig: Rig,
  { options, config, n }: { options: DetectBenchOptions; config: Record<string, unknown>; n: number },
): Promise<Trial> {
  const [check] = validatedChecks(config, [
    {
      id: `detect-${n}`,
      name: `Detect ${n}`,
      interval: `${options.intervalMs}ms`,
      timeout: `${options.timeoutMs}ms`,
      confirmations: options.confirmations,
      http: { url: rig.target.url(n) },
    },
  ]);
  if (!check) throw new Error('the trial check did not validate');
  await fleet.registry.put(check);
  await eventually(async () => (await fleet.states.get(check.id)).state === 'up', UP_TIMEOUT_MS, `${check.id} up`);
  // Fail at a random moment of the interval, so the wait for the next round is sampled fairly.
  await sleep(Math.random() * options.intervalMs);
  const from = rig.mail.received.length;
  const killedAt = rig.target.fail();
  try {
    const page = await eventually(() => triggerPages(rig.mail.received, ONCALL, from)[0], PAGE_TIMEOUT_MS, 'the page');
    const incident = await fleet.incidents.get(pagedIncident(page));
    const member = incident?.members.find((m) => m.checkId === check.id);
    if (!incident || !member) throw new Error(`the page of trial ${n} is not about ${check.id}`);
    rig.target.heal();
    await eventually(
      async () => (await fleet.incidents.get(incident.id))?.status === 'resolved',
      RESOLVE_TIMEOUT_MS,
      `the incident of ${check.id} resolved`,
    );
    return {
      killedAt,
      firstFailedRound: member.firstFailedRound,
      confirmingRound: member.lastFailedRound,
      detectedAt: incident.detectedAt,
      pagedAt: page.at,
    };
  } finally {
    rig.target.heal();
    await fleet.registry.delete(check.id);
  }
}

function spread(values: readonly number[]) {
  return { p50: percentile(values, 50), p95: percentile(values, 95), max: Math.max(...values) };
}

function report(trials: readonly Trial[], storms: readonly StormFigures[], options: DetectBenchOptions): BenchReport {
  const theoretical = options.confirmations * options.intervalMs;
  const of = (from: keyof Trial, to: keyof Trial) => spread(trials.map((trial) => trial[to] - trial[from]));
  const figures = {
    killToPage: of('killedAt', 'pagedAt'),
    killToOpened: of('killedAt', 'detectedAt'),
    killToFirstRound: of('killedAt', 'firstFailedRound'),
    firstToConfirmingRound: of('firstFailedRound', 'confirmingRound'),
    confirmingRoundToOpened: of('confirmingRound', 'detectedAt'),
    openedToPage: of('detectedAt', 'pagedAt'),
  };
  const row = (label: string, s: { p50: number; p95: number; max: number }, baseline?: number) => [
    label,
    fmt(s.p50),
    fmt(s.p95),
    fmt(s.max),
    baseline === undefined ? '' : fmt(baseline),
    baseline === undefined ? '' : `${fmt(s.p50 / baseline, 2)}×`,
  ];
  const detection: Table = {
    title: `Detection latency: 1 HTTP check × ${VANTAGES.length} vantages, interval ${options.intervalMs} ms, timeout ${options.timeoutMs} ms, confirmations ${options.confirmations}, groupingWindow 0s; ${trials.length} trials`,
    columns: ['span (ms)', 'p50', 'p95', 'max', 'baseline', 'p50 ÷ baseline'],
    rows: [
      row('target failed → page at the SMTP sink', figures.killToPage, theoretical),
      row('target failed → incident opened (detectedAt)', figures.killToOpened, theoretical),
      row('  failed → slot of the first failing round', figures.killToFirstRound),
      row('  first failing round → confirming round', figures.firstToConfirmingRound),
      row('  confirming round → incident opened', figures.confirmingRoundToOpened),
      row('  incident opened → page at the SMTP sink', figures.openedToPage),
    ],
    notes: [
      `baseline = confirmations × interval = ${fmt(theoretical)} ms, the theoretical detection time (the failure lands just after a round's slot)`,
      'failed = the moment the target was told to drop every connection (sampled uniformly over an interval once the check was up)',
      'indented rows are the breakdown: waiting for the next slot · the confirming rounds · probe, record, decide, open · escalate, deliver, SMTP',
      'rounds are slots (epoch ms); the probe of a slot starts at or after it; one machine runs every process, so one clock',
    ],
  };
  return {
    name: 'detect',
    tables: [detection, stormTable(storms, options)],
    data: { options, theoretical, figures, trials, storms },
  };
}

function stormTable(storms: readonly StormFigures[], options: DetectBenchOptions): Table {
  const bound = options.confirmations * options.stormIntervalMs;
  const floor = (options.confirmations - 1) * options.stormIntervalMs;
  const mb = (bytes: number | undefined) => fmt(bytes === undefined ? undefined : bytes / 1_048_576);
  const verdict = (storm: StormFigures) =>
    storm.pages === storm.components && storm.incidents === storm.components && storm.membersSeen >= storm.checks;
  return {
    title: `Page storm: ${fmt(options.checks)} HTTP checks × ${VANTAGES.length} vantages every ${options.stormIntervalMs / 1000} s on one loopback target fail at once, groupingWindow 0s`,
    columns: [
      'components',
      'pages (exp.)',
      'incidents (exp.)',
      'fail → 1st page ms',
      'floor ms',
      'fail → all joined ms',
      'bound ms',
      'notifier RSS MB before/peak',
      'heap MB before/peak',
      'verdict',
    ],
    rows: storms.map((storm) => [
      `${storm.components}`,
      `${storm.pages} (${storm.components})`,
      `${storm.incidents} (${storm.components})`,
      fmt(storm.firstPageMs),
      fmt(floor),
      Number.isFinite(storm.allMembersMs) ? fmt(storm.allMembersMs) : `– (${fmt(storm.membersSeen)} joined)`,
      fmt(bound),
      `${mb(storm.memory.before?.rss)} / ${mb(storm.memory.peak.rss)}`,
      `${mb(storm.memory.before?.heapUsed)} / ${mb(storm.memory.peak.heapUsed)}`,
      verdict(storm) ? 'met' : 'NOT met',
    ]),
    notes: [
      `floor = (confirmations − 1) × interval = ${fmt(floor)} ms: no check can be confirmed down sooner, so no page can come sooner`,
      `bound = confirmations × interval = ${fmt(bound)} ms: by then every check's confirming round is due (its probe, recording and deciding come after)`,
      `pages = trigger emails to the on-call at the sink, counted until ${fmt(options.settleMs)} ms after the last check joined; incidents = every incident the fleet opened`,
      ...storms.map(
        (storm) =>
          `${storm.components} component(s): all up ${fmt(storm.allUpMs)} ms after the scheduler started; waiting at the failure: ${fmt(storm.backlog.results)} result batches, ${fmt(storm.backlog.probes)} probe jobs; incident events unread when the last joined: ${fmt(storm.eventsUnread)}; fleet pages ${storm.fleetPages}, fleet incidents ${storm.fleetIncidents}; ${storm.memory.samples} memory samples`,
      ),
      'memory: the notifier process (its own), process.memoryUsage() every 100 ms, read every 200 ms; before = at rest with every check up',
      `probers: ${options.proberConcurrency} probes in flight per vantage process (perHostConcurrency too: every check is on one host); timeout ${options.stormTimeoutMs} ms`,
    ],
  };
}
