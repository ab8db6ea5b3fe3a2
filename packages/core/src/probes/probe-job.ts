import type { Check } from '../checks/check.js';
import { type KindSettings, pickKindSettings } from '../checks/kinds/registry.js';
import type { ProbeResult } from './probe-result.js';

/** What a prober needs to run a check: carried in the job so a probe never reads the registry. */
export type ProbeTarget = Pick<Check, 'id' | 'intervalMs' | 'timeoutMs'> & KindSettings;

/** The data of a probe job; the round is the job's scheduled time, read from the job itself. */
export interface ProbeJobData {
  check: ProbeTarget;
  vantage: string;
  /** Set on jobs added by hand (a one-off probe, a benchmark); scheduled jobs take it from their id. */
  round?: number;
}

/**
 * The data of a slot job: one round of every check in a slot (same vantage, interval and offset).
 * Its members live in Redis (`slotMembers`), so a check joins or leaves without touching the job.
 */
export interface SlotJobData {
  slot: string;
  vantage: string;
  intervalMs: number;
  /** Set on jobs added by hand (tests, a benchmark); scheduled jobs take it from their id. */
  round?: number;
}

/** A probe job as the prober sees it: which check, from where, for which round. */
export interface ProbeJob extends ProbeJobData {
  round: number;
}

export function toProbeTarget(check: Check): ProbeTarget {
  return {
    id: check.id,
    ...pickKindSettings(check),
    intervalMs: check.intervalMs,
    timeoutMs: check.timeoutMs,
  };
}

/**
 * A round is stale once a whole interval has passed since it was due: probing it then would
 * report a past state as present, so it is dropped and counted instead.
 */
export function isRoundExpired(job: Pick<ProbeJob, 'round' | 'check'>, now: number): boolean {
  return now - job.round > job.check.intervalMs;
}

/** A result on its way to the notifier, with what it needs to judge duplicates. */
export interface ResultJobData {
  result: ProbeResult;
  intervalMs: number;
}

/**
 * One batch of results (an entry of a result stream; a job of the old `results` queue): the results
 * a prober finished within a few milliseconds of each other. Batching keeps the cost per probe small.
 * Duplicates are the result store's job, per (check, vantage, round): a batch delivered again within
 * its memory of a recording (`rememberMs`, max(4 × interval, 60 s)) records nothing twice; one
 * delivered again later would be recorded again, which the recorder's bound on taking over avoids.
 */
export interface ResultBatchData {
  results: ResultJobData[];
}

/** The most results one batch carries; a recorder refuses a longer one. */
export const MAX_RESULT_BATCH = 500;
