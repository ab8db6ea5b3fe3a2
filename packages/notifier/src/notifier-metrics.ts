import { type ChannelKind, processMetrics, type RoleContext } from '@vigil/core';
import { Counter, Gauge, Histogram } from 'prom-client';

const LAG_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 300];

/** Where open incidents are counted: one Redis namespace each, however many notifiers share it. */
type IncidentSource = Pick<RoleContext, 'redis' | 'log'> & { key: string };
const incidentSources = new Map<string, IncidentSource>();

/** Created once per process, on the process registry, whichever notifier part asks first. */
function createMetrics() {
  const registers = [processMetrics()];
  return {
    evaluatorLag: new Histogram({
      name: 'vigil_evaluator_lag_seconds',
      help: "How long after a round's scheduled time its verdict was decided.",
      buckets: LAG_BUCKETS,
      registers,
    }),
    incidentsOpen: new Gauge({
      name: 'vigil_incidents_open',
      help: 'Incidents not yet resolved, read from Redis at scrape time.',
      registers,
      async collect() {
        const counts = await Promise.all([...incidentSources.values()].map(countOpen));
        // A namespace that did not answer leaves the last value standing rather than a false 0.
        if (counts.every((count) => count !== undefined)) this.set(counts.reduce((sum, count) => sum + count, 0));
      },
    }),
    pages: new Counter<'channel' | 'result'>({
      name: 'vigil_pages_total',
      help: 'Page delivery attempts by channel kind and result (a retried page counts each attempt).',
      labelNames: ['channel', 'result'],
      registers,
    }),
    resultsDropped: new Counter<'reason'>({
      name: 'vigil_results_dropped_total',
      help: 'Results not recorded, by reason (unknown_check: the check was deleted while its round was in flight; trimmed: a pending batch cut by the stream cap, and poison: a batch that failed every delivery, count batches).',
      labelNames: ['reason'],
      registers,
    }),
    vantageUp: new Gauge<'vantage'>({
      name: 'vigil_vantage_up',
      help: 'Whether the vantage is heard from (1) or silent (0), as last judged.',
      labelNames: ['vantage'],
      registers,
    }),
    vantageImpaired: new Gauge<'vantage'>({
      name: 'vigil_vantage_impaired',
      help: 'Whether the vantage is impaired (1): failing checks the others see up.',
      labelNames: ['vantage'],
      registers,
    }),
  };
}

let metricSet: ReturnType<typeof createMetrics> | undefined;
function metrics(): ReturnType<typeof createMetrics> {
  metricSet ??= createMetrics();
  return metricSet;
}

/** A round of `round` (epoch ms) was decided at `now`. */
export function observeEvaluatorLag(round: number, now: number): void {
  metrics().evaluatorLag.observe(Math.max(0, now - round) / 1000);
}

/** Results dropped unrecorded, for this reason. */
export function countDroppedResults(reason: 'unknown_check' | 'trimmed' | 'poison', count: number): void {
  metrics().resultsDropped.inc({ reason }, count);
}

/** One delivery attempt of a page through a channel of this kind. */
export function countPage(channel: ChannelKind, result: 'sent' | 'failed'): void {
  metrics().pages.inc({ channel, result });
}

/** A vantage as the fleet watch last judged it. */
export function recordVantageHealth(vantage: string, health: { silent: boolean; impaired: boolean }): void {
  metrics().vantageUp.set({ vantage }, health.silent ? 0 : 1);
  metrics().vantageImpaired.set({ vantage }, health.impaired ? 1 : 0);
}

/**
 * Reports `vigil_incidents_open` from this namespace's open-incident set until the returned function
 * is called (at notifier close).
 */
export function watchOpenIncidents(ctx: Pick<RoleContext, 'redis' | 'keys' | 'log'>): () => void {
  metrics();
  const key = ctx.keys.incidentsOpen;
  incidentSources.set(key, { redis: ctx.redis, log: ctx.log, key });
  return () => {
    incidentSources.delete(key);
  };
}

/** A scrape never waits on Redis for long: a count not answered within a second is logged and skipped. */
async function countOpen(source: IncidentSource): Promise<number | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer within 1s')), 1_000);
  });
  try {
    return await Promise.race([source.redis.zcard(source.key), timeout]);
  } catch (err) {
    source.log.warn({ err }, 'open incidents not counted');
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
