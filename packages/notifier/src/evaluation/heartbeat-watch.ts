import { hostname } from 'node:os';
import {
  type Check,
  formatDuration,
  type HeartbeatSpec,
  type HeartbeatState,
  heartbeatDeadline,
  isProbed,
  type PingEntry,
  type ProbeErrorClass,
  type ResultJobData,
} from '@vigil/core';
import type { NotifierContext } from '../notifier-context.js';
import type { CheckCatalog } from './check-catalog.js';
import { type Evaluator, PUSH_VANTAGE } from './evaluator.js';

const GROUP = 'notifier:heartbeats';
/** A ping left unacknowledged this long (its notifier died mid-tick) is taken over. */
const CLAIM_IDLE_MS = 30_000;
/**
 * How often a tick also looks for such pings: XAUTOCLAIM every tick (1 s) was the costliest call of
 * an idle notifier, for entries that cannot be claimed before 30 s anyway (taken over within 30–40 s).
 */
const CLAIM_EVERY_MS = 10_000;
/** Deadlines of a cron schedule looked through per tick, at most: enough for weeks of an hourly job. */
const MAX_SCHEDULE_STEPS = 1_000;

type HeartbeatWatchContext = Pick<NotifierContext, 'log' | 'clock' | 'results' | 'heartbeats'>;

/** A heartbeat check: its kind's settings are a heartbeat's. */
type HeartbeatCheck = Check & { kind: 'heartbeat'; heartbeat: HeartbeatSpec };

/**
 * Turns heartbeat checks' pings, and their absence, into results of the `push` vantage that go the
 * way probed results go — recorded, then through the evaluator's round book and state machine to
 * incidents and pages. A success ping is a good round; a failure ping (or a non-zero exit code) a
 * failed one at once; no success by the deadline (interval or schedule, plus grace) a failed round
 * at the deadline; a start without success within the check's timeout a failed round then.
 */
export class HeartbeatWatch {
  private readonly consumer = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  /** The latest failed round each check was given here: a missed deadline is recorded once. */
  private readonly judged = new Map<string, number>();
  /** When a tick last looked for pings left unacknowledged. */
  private claimedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ctx: HeartbeatWatchContext,
    private readonly parts: { catalog: CheckCatalog; evaluator: Evaluator },
  ) {}

  async start(): Promise<void> {
    await this.ctx.heartbeats.joinPings(GROUP);
  }

  /** New pings, then lateness: the results they make are recorded and evaluated, oldest round first. */
  async tick(): Promise<void> {
    const { heartbeats, clock } = this.ctx;
    const now = clock.now();
    const claim = now - this.claimedAt >= CLAIM_EVERY_MS || now < this.claimedAt;
    if (claim) this.claimedAt = now;
    const pings = await heartbeats.readPings(GROUP, this.consumer, {
      count: 500,
      ...(claim && { claimIdleMs: CLAIM_IDLE_MS }),
    });
    const results: ResultJobData[] = [];
    for (const ping of pings) {
      const check = this.heartbeatCheck(ping.checkId);
      const result = check && pingResult(check, ping);
      if (result) results.push(result);
    }
    results.push(...(await this.lateness(this.ctx.clock.now())));
    results.sort((a, b) => a.result.round - b.result.round);
    if (results.length > 0) {
      const outcomes = await this.ctx.results.recordMany(results);
      await this.parts.evaluator.onResults(results.filter((_, i) => outcomes[i] !== 'duplicate'));
    }
    await heartbeats.ackPings(
      GROUP,
      pings.map((ping) => ping.entryId),
    );
  }

  private heartbeatCheck(id: string): HeartbeatCheck | undefined {
    const check = this.parts.catalog.get(id);
    if (!check || check.paused || isProbed(check) || check.kind !== 'heartbeat') return undefined;
    return check as HeartbeatCheck;
  }

  /** A failed round for each watched check past its deadline, or started and not done within its timeout. */
  private async lateness(now: number): Promise<ResultJobData[]> {
    const checks = this.parts.catalog
      .pushedChecks()
      .map((check) => this.heartbeatCheck(check.id))
      .filter((check) => check !== undefined);
    const states = await this.ctx.heartbeats.states(checks.map((check) => check.id));
    const late: ResultJobData[] = [];
    for (const check of checks) {
      const state = states.get(check.id);
      // Without a token no job could ping: the watch starts with the first one.
      if (state?.since === undefined) continue;
      for (const failure of [missedDeadline(check, state, now), unfinishedStart(check, state, now)]) {
        if (!failure || failure.round <= (this.judged.get(check.id) ?? -1)) continue;
        this.judged.set(check.id, failure.round);
        late.push(failedResult(check, failure));
      }
    }
    for (const id of this.judged.keys()) if (!this.parts.catalog.get(id)) this.judged.delete(id);
    return late;
  }
}

interface Failure {
  round: number;
  error: ProbeErrorClass;
  message: string;
}

/** The latest deadline passed without a ping since the last one that was not a start. */
export function missedDeadline(check: HeartbeatCheck, state: HeartbeatState, now: number): Failure | undefined {
  const spec = check.heartbeat;
  const anchor = Math.max(state.since ?? 0, state.lastOk ?? 0, state.lastFail ?? 0);
  let deadline = heartbeatDeadline(spec, check.intervalMs, anchor);
  if (deadline > now) return undefined;
  if (spec.schedule === undefined) {
    deadline += Math.floor((now - deadline) / check.intervalMs) * check.intervalMs;
  } else {
    for (let step = 0; step < MAX_SCHEDULE_STEPS; step++) {
      const next = heartbeatDeadline(spec, check.intervalMs, deadline - spec.grace);
      if (next > now) break;
      deadline = next;
    }
  }
  const last = state.lastOk === undefined ? 'no successful ping yet' : `last success ${iso(state.lastOk)}`;
  return { round: deadline, error: 'missed', message: `no ping by ${iso(deadline)} (${last})` };
}

/** A start not followed by a success or failure within the check's timeout. */
export function unfinishedStart(check: HeartbeatCheck, state: HeartbeatState, now: number): Failure | undefined {
  if (state.started === undefined || state.started + check.timeoutMs > now) return undefined;
  return {
    round: state.started + check.timeoutMs,
    error: 'timeout',
    message: `started ${iso(state.started)}, no success within ${formatDuration(check.timeoutMs)}`,
  };
}

function failedResult(check: Check, failure: Failure): ResultJobData {
  return {
    intervalMs: check.intervalMs,
    result: {
      checkId: check.id,
      vantage: PUSH_VANTAGE,
      round: failure.round,
      startedAt: failure.round,
      finishedAt: failure.round,
      ok: false,
      error: failure.error,
      message: failure.message,
      timings: { total: 0 },
    },
  };
}

/**
 * A ping's result: a success is a good round, a failure a failed one; a start is no verdict (the run is
 * under way). The message says what the ping said, never its body (which only the API shows).
 */
function pingResult(check: Check, ping: PingEntry): ResultJobData | undefined {
  if (ping.kind === 'start') return undefined;
  const ok = ping.kind === 'success';
  const said = ping.exitCode === undefined ? `${ping.kind} ping` : `exit code ${ping.exitCode}`;
  return {
    intervalMs: check.intervalMs,
    result: {
      checkId: check.id,
      vantage: PUSH_VANTAGE,
      round: ping.at,
      startedAt: ping.at,
      finishedAt: ping.at,
      ok,
      ...(!ok && { error: 'job_failed' as const }),
      message: said,
      timings: { total: 0 },
    },
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
