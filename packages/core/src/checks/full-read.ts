/**
 * The scheduler and the notifier each keep the whole registry in memory, current from its change
 * feed, and read it all again now and then as insurance against a change they never heard. At
 * 1,000,000 checks one such read costs minutes of a core (every value inflated and parsed, a second
 * copy of the fleet for the garbage collector to mark): every 15 minutes, the notifier spent more on
 * it than on every result it judged. So the insurance is paced by what it costs.
 */

/** A full read's cost bound: the time between two is at least this many times what the last one took (≤ 1 % of a role's time). */
export const FULL_READ_DUTY = 100;

/**
 * The longest the insurance waits, however slow the last read: its time is wall time, and one read
 * stalled by a Redis failover must not put the next off for days.
 */
export const FULL_READ_MAX_WAIT_MS = 6 * 3_600_000;

/** When the last full read ended, and how long it took. */
export interface FullRead {
  at: number;
  tookMs: number;
}

/**
 * Whether the insurance read is due at `now`: `everyMs` after the last one, or FULL_READ_DUTY
 * times its duration after it when that is longer, at most FULL_READ_MAX_WAIT_MS (unless `everyMs`
 * is longer still). A change known to be missed (the version moved past what was heard) is read at
 * once whatever this says: callers ask this only otherwise.
 */
export function fullReadDue(last: FullRead, everyMs: number, now: number): boolean {
  const paced = Math.min(FULL_READ_DUTY * last.tookMs, FULL_READ_MAX_WAIT_MS);
  return now - last.at >= Math.max(everyMs, paced);
}
