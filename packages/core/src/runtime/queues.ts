/**
 * Queue names. Probes go to one queue per vantage. Results come back on result streams
 * (`keys.resultStream`); this BullMQ queue carried them before, and a notifier drains what is left.
 */
export const RESULTS_QUEUE = 'results';

export function probeQueueName(vantage: string): string {
  return `probe.${vantage}`;
}

/** A job scheduler per check × vantage; the id is stable so concurrent upserts converge on one. */
export function schedulerId(checkId: string, vantage: string): string {
  return `${checkId}@${vantage}`;
}

/**
 * The round of a scheduler-made job. BullMQ names the jobs of a job scheduler
 * `repeat:<schedulerId>:<slot millis>`; that slot is the round every vantage shares.
 */
export function roundFromJobId(jobId: string | undefined): number | undefined {
  if (!jobId?.startsWith('repeat:')) return undefined;
  const round = Number(jobId.slice(jobId.lastIndexOf(':') + 1));
  return Number.isSafeInteger(round) ? round : undefined;
}

/** Escalation steps: delayed jobs, one per (incident, episode, cycle, level), so they survive restarts. */
export const ESCALATIONS_QUEUE = 'escalations';

/** Pages on their way out: one job per dedup key, retried with backoff. */
export const DELIVERIES_QUEUE = 'deliveries';
