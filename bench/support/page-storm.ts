/**
 * A page storm: `checks` HTTP checks of `components` components, all against one loopback target,
 * go down at once. Measures the pages and incidents that come of it, how soon the first page lands
 * and every check has joined its incident, and the notifier process's memory meanwhile.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { probeQueueName, resultBacklog } from '@vigil/core';
import { eventually } from '@vigil/core/testing';
import { Queue } from 'bullmq';
import type { MailSink } from '../../test/support/mail-sink.js';
import { proberSettings } from './checks.js';
import { FLEET_ONCALL, ONCALL, pagingConfig, triggerPages, VANTAGES, validatedChecks } from './paging-config.js';
import { type NotifierMemory, type PagingFleet, startPagingFleet } from './paging-fleet.js';
import { progress } from './report.js';
import type { SwitchTarget } from './switch-target.js';

export interface StormOptions {
  checks: number;
  components: number;
  intervalMs: number;
  timeoutMs: number;
  confirmations: number;
  /** After the last check joined: how long to keep counting pages and incidents. */
  settleMs: number;
  /** Probes in flight per prober process, and against the one target host. */
  proberConcurrency: number;
}

export interface StormFigures {
  checks: number;
  components: number;
  pages: number;
  fleetPages: number;
  incidents: number;
  /** Incidents of the fleet itself (vantage, blind spots) among them. */
  fleetIncidents: number;
  firstPageMs: number;
  /** Until every check was a member of an incident; NaN when they never all were. */
  allMembersMs: number;
  membersSeen: number;
  /** Incident events not yet read by the notifier's reactor when the last check joined (one per join). */
  eventsUnread: number;
  /** From the scheduler's start until every check was up. */
  allUpMs: number;
  /** Jobs waiting when the target was failed: results batches, and probe jobs over every vantage. */
  backlog: { results: number; probes: number };
  memory: { before: NotifierMemory | undefined; peak: NotifierMemory; samples: number };
}

const POLL_MS = 50;
const UP_TIMEOUT_MS = 90_000;
const STORM_TIMEOUT_MS = 60_000;
const REGISTER_PARALLEL = 200;

export async function runStorm(
  options: StormOptions,
  rig: { target: SwitchTarget; mail: MailSink },
): Promise<StormFigures> {
  const components = Array.from({ length: options.components }, (_, i) => `part-${i}`);
  const config = pagingConfig(components);
  const checks = validatedChecks(
    config,
    Array.from({ length: options.checks }, (_, i) => ({
      id: `storm-${i}`,
      name: `Storm ${i}`,
      component: components[i % components.length],
      interval: `${options.intervalMs}ms`,
      timeout: `${options.timeoutMs}ms`,
      confirmations: options.confirmations,
      http: { url: rig.target.url(i) },
    })),
  );
  const concurrency = options.proberConcurrency;
  const fleet = await startPagingFleet({
    vantages: VANTAGES,
    config,
    smtpUrl: rig.mail.url,
    prober: proberSettings({ concurrency, perHostConcurrency: concurrency }),
  });
  try {
    for (let i = 0; i < checks.length; i += REGISTER_PARALLEL) {
      await Promise.all(checks.slice(i, i + REGISTER_PARALLEL).map((check) => fleet.registry.put(check)));
    }
    const scheduled = Date.now();
    await fleet.schedule();
    const ids = checks.map((check) => check.id);
    await eventually(async () => (await countUp(fleet, ids)) === ids.length, UP_TIMEOUT_MS, 'every storm check up');
    const allUpMs = Date.now() - scheduled;
    progress(`storm: ${ids.length} checks up ${allUpMs} ms after the scheduler started; failing the target`);
    // One more interval of steady probing, so the memory figure before is the fleet at rest.
    await sleep(options.intervalMs);
    return { ...(await measure(fleet, rig, options)), allUpMs };
  } finally {
    rig.target.heal();
    await fleet.close();
  }
}

async function measure(
  fleet: PagingFleet,
  rig: { target: SwitchTarget; mail: MailSink },
  options: StormOptions,
): Promise<Omit<StormFigures, 'allUpMs'>> {
  const before = await fleet.notifierMemory();
  const backlog = await backlogOf(fleet);
  const peak: NotifierMemory = { rss: before?.rss ?? 0, heapUsed: before?.heapUsed ?? 0 };
  let samples = 0;
  const sampler = setInterval(() => {
    void fleet.notifierMemory().then((memory) => {
      if (!memory) return;
      samples++;
      peak.rss = Math.max(peak.rss, memory.rss);
      peak.heapUsed = Math.max(peak.heapUsed, memory.heapUsed);
    });
  }, 200);
  const from = rig.mail.received.length;
  const killedAt = rig.target.fail();
  let allMembersAt = Number.NaN;
  let membersSeen = 0;
  let eventsUnread = Number.NaN;
  try {
    const deadline = killedAt + STORM_TIMEOUT_MS;
    while (Date.now() < deadline) {
      membersSeen = await incidentMembers(fleet);
      if (membersSeen >= options.checks) {
        allMembersAt = Date.now();
        eventsUnread = await unreadEvents(fleet);
        break;
      }
      await sleep(POLL_MS);
    }
    await eventually(() => triggerPages(rig.mail.received, ONCALL, from)[0], 15_000, 'the first storm page');
    await sleep(options.settleMs);
  } finally {
    clearInterval(sampler);
  }
  const pages = triggerPages(rig.mail.received, ONCALL, from);
  const incidents = await fleet.incidents.list({ limit: 1_000 });
  const fleetIncidents = incidents.filter((incident) => !incident.group.startsWith('component:')).length;
  return {
    checks: options.checks,
    components: options.components,
    pages: pages.length,
    fleetPages: triggerPages(rig.mail.received, FLEET_ONCALL, from).length,
    incidents: incidents.length,
    fleetIncidents,
    firstPageMs: Math.min(...pages.map((page) => page.at)) - killedAt,
    allMembersMs: allMembersAt - killedAt,
    membersSeen,
    eventsUnread,
    backlog,
    memory: { before, peak, samples },
  };
}

/** Checks whose state is `up`, read in one pipeline. */
async function countUp(fleet: PagingFleet, ids: readonly string[]): Promise<number> {
  const pipeline = fleet.bench.redis.pipeline();
  for (const id of ids) pipeline.hget(fleet.bench.keys.checkState(id), 'state');
  const replies = (await pipeline.exec()) ?? [];
  return replies.filter(([, state]) => state === 'up').length;
}

/** Members of every open incident together. */
async function incidentMembers(fleet: PagingFleet): Promise<number> {
  const { redis, keys } = fleet.bench;
  const open = await redis.zrange(keys.incidentsOpen, 0, -1);
  if (open.length === 0) return 0;
  const pipeline = redis.pipeline();
  for (const id of open) pipeline.hlen(keys.incidentMembers(id));
  const replies = (await pipeline.exec()) ?? [];
  return replies.reduce((sum, [, count]) => sum + Number(count ?? 0), 0);
}

/** The `lag` of the notifier's consumer group on the incident event stream. */
async function unreadEvents(fleet: PagingFleet): Promise<number> {
  const groups = (await fleet.bench.redis.xinfo('GROUPS', fleet.bench.keys.incidentEvents)) as unknown[][];
  const fields = groups[0] ?? [];
  const at = fields.indexOf('lag');
  return at >= 0 ? Number(fields[at + 1]) : Number.NaN;
}

async function backlogOf(fleet: PagingFleet): Promise<{ results: number; probes: number }> {
  const connection = fleet.bench.connection('backlog');
  const { keys } = fleet.bench;
  const queues = VANTAGES.map((vantage) => probeQueueName(vantage)).map(
    (name) => new Queue(name, { connection, prefix: keys.queuePrefix(name) }),
  );
  try {
    const probes = await Promise.all(queues.map((queue) => queue.getWaitingCount()));
    const { waiting: results } = await resultBacklog(fleet.bench.redis, keys);
    return { results, probes: probes.reduce((a, b) => a + b, 0) };
  } finally {
    await Promise.all(queues.map((queue) => queue.close()));
  }
}
