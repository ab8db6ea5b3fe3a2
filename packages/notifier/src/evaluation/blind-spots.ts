import { type Check, fnv1a, isProbed } from '@vigil/core';
import type { NotifierContext } from '../notifier-context.js';
import type { CheckCatalog } from './check-catalog.js';

type BlindSpotsContext = Pick<
  NotifierContext,
  'redis' | 'keys' | 'log' | 'clock' | 'checkStates' | 'incidents' | 'settings' | 'fleetEscalation'
>;

const GROUP = 'fleet:blind';

/**
 * Probed checks with no decided round for `blindAfterRounds` intervals are `unknown`: nobody is watching
 * them. They gather in one fleet incident ("blind spot"), each leaving it when results return.
 */
export class BlindSpots {
  /** When each check is next looked at: a check can go blind only once per interval, so sweeping it more often is waste. */
  private readonly looks = new LookSchedule();

  constructor(
    private readonly ctx: BlindSpotsContext,
    private readonly parts: { catalog: CheckCatalog },
  ) {
    const { catalog } = parts;
    // A check created later with a deleted one's id has none of its rounds: the sweep must see it.
    catalog.onGone((id) => {
      ctx.checkStates.forget(id);
      this.looks.forget(id);
    });
    // New and changed checks the change channel announces are looked at on the next tick (a paused
    // one resumed, an interval shortened); a change only a reload finds waits for its look as scheduled.
    catalog.onStored((id) => this.looks.at(id, ctx.clock.now()));
    for (const id of catalog.ids()) this.looks.at(id, ctx.clock.now());
  }

  async tick(): Promise<void> {
    const { checkStates: states, settings, clock } = this.ctx;
    const { catalog } = this.parts;
    const now = clock.now();
    // Only the checks due: walking the whole catalog every tick cost a notifier of 1,000,000 checks
    // half its CPU (bench/scale.ts, profiled). A check is due again half an interval on, on top of
    // blindAfterRounds intervals: a sweep of those due, not 50,000 scripts every tick; and of those,
    // Redis reads only the ones without a round known to this notifier since their blind-before
    // (`CheckStates.markBlind`). A heartbeat without pings is late (down), not blind: its watch judges it.
    const watched: Check[] = [];
    for (const id of this.looks.due(now)) {
      const check = catalog.get(id);
      if (!check) continue;
      this.looks.at(id, nextLook(id, now, check.intervalMs));
      if (!check.paused && isProbed(check)) watched.push(check);
    }
    const blind = await states.markBlind(
      watched.map((check) => ({
        id: check.id,
        blindBefore: now - settings.blindAfterRounds * check.intervalMs - check.timeoutMs - settings.roundGrace,
      })),
      now,
    );
    for (const [checkId] of blind) await this.open(checkId, now);
    await this.recoverReturning(now);
  }

  private async open(checkId: string, now: number): Promise<void> {
    const check = this.parts.catalog.get(checkId);
    if (!check) return;
    const state = await this.ctx.checkStates.get(checkId);
    const lastRound = Number(state.lastRound ?? state.firstSeen ?? now);
    const outcome = await this.ctx.incidents.openOrJoin(
      {
        group: GROUP,
        title: 'Blind spot: checks without results',
        impact: 'fleet',
        severity: 'major',
        ...(this.ctx.fleetEscalation && { escalation: this.ctx.fleetEscalation }),
        startedAt: now,
        member: {
          checkId,
          name: check.name,
          down: true,
          firstFailedRound: lastRound,
          lastFailedRound: now,
          vantagesFailing: [],
          vantagesTotal: 0,
          message: `no results for ${this.ctx.settings.blindAfterRounds} rounds`,
        },
        openedMessage: `No results for ${check.name} for ${this.ctx.settings.blindAfterRounds} rounds: nobody is watching it.`,
        joinedMessage: '',
      },
      now,
      this.ctx.settings.reopenWindow,
    );
    this.ctx.log.warn({ check: checkId, incident: outcome.id }, 'blind spot: no results');
  }

  private async recoverReturning(now: number): Promise<void> {
    const { incidents, redis, keys } = this.ctx;
    const { catalog } = this.parts;
    const incident = await incidents.ofGroup(GROUP);
    if (!incident || incident.status === 'resolved') return;
    const down = incident.members.filter((member) => member.down);
    if (down.length === 0) return;
    const pipeline = redis.pipeline();
    for (const member of down) pipeline.hmget(keys.checkState(member.checkId), 'state', 'lastRound');
    const replies = (await pipeline.exec()) ?? [];
    for (const [i, member] of down.entries()) {
      const [state, lastRound] = (replies[i]?.[1] ?? []) as [string | null, string | null];
      const check = catalog.get(member.checkId);
      const gone = !check || check.paused;
      if (state === 'unknown' && !gone) continue;
      await incidents.memberRecovered(
        incident.id,
        {
          checkId: member.checkId,
          firstGoodAfter: Number(lastRound ?? now),
          lastFailedRound: member.lastFailedRound,
          partialMessage: 'Results are back for some checks; still without results: %d.',
          resolvedMessage: 'Results are back for every check.',
          withBounds: false,
        },
        now,
      );
    }
  }
}

/**
 * When a check looked at `now` is looked at next: within half an interval, at the check's own phase
 * of the half interval (FNV-1a of its id). Half an interval on from the last look kept checks
 * registered together looked at together for ever: 1,000,000 applied in a minute were swept in the
 * same minute every 10 minutes (at 20-minute intervals), the notifier near a core for that minute.
 */
export function nextLook(id: string, now: number, intervalMs: number): number {
  const half = Math.max(1_000, Math.floor(intervalMs / 2));
  const ahead = ((((fnv1a(id) % half) - (now % half)) % half) + half) % half;
  return now + (ahead === 0 ? half : ahead);
}

/** An id `due` gave out and nobody scheduled again. */
const TAKEN = -1;

/** A clock going back by more than this (s) is a step (corrected), not a tick read late. */
const CLOCK_STEP_S = 60;

/**
 * Ids by the second they are next due, a wheel of one-second buckets: taking those due visits the
 * seconds passed since the last take (or, after a long gap, the wheel's own seconds), never every id.
 * An id scheduled again moves: its old bucket's entry is passed over. Written here, not taken from a
 * library: a priority queue would cost a log a move, and moves are most of the work (every look).
 */
export class LookSchedule {
  private readonly seconds = new Map<number, string[]>();
  /**
   * Each id's second, or TAKEN once `due` gave it out. Marked, not deleted: a delete then a set again
   * (every look) filled a 1,000,000-entry Map with holes, and V8 rebuilt its ~28 MB table every ~30 s
   * (a heap sample of a notifier at 1,000,000 checks: 58 MB of such tables allocated a minute).
   */
  private readonly dueAt = new Map<string, number>();
  /** The last second taken; an id is never put at or before it (it would never be taken). */
  private taken: number | undefined;

  /** Due at `ms` (epoch ms), or at the next second not yet taken. */
  at(id: string, ms: number): void {
    let second = Math.floor(ms / 1000);
    if (this.taken !== undefined && second <= this.taken) second = this.taken + 1;
    if (this.dueAt.get(id) === second) return;
    this.dueAt.set(id, second);
    const bucket = this.seconds.get(second);
    if (bucket) bucket.push(id);
    else this.seconds.set(second, [id]);
  }

  forget(id: string): void {
    this.dueAt.delete(id);
  }

  /** The ids due at or before `now` (epoch ms), each once, taken off: schedule them again with `at`. */
  due(now: number): string[] {
    const upTo = Math.floor(now / 1000);
    if (this.taken !== undefined && upTo < this.taken - CLOCK_STEP_S) this.stepBack(this.taken - upTo);
    const from = this.taken === undefined ? undefined : this.taken + 1;
    const passed =
      from === undefined || upTo - from >= this.seconds.size
        ? [...this.seconds.keys()].filter((second) => second <= upTo).sort((a, b) => a - b)
        : Array.from({ length: Math.max(0, upTo - from + 1) }, (_, i) => from + i);
    const out: string[] = [];
    for (const second of passed) {
      const bucket = this.seconds.get(second);
      if (!bucket) continue;
      this.seconds.delete(second);
      for (const id of bucket) {
        if (this.dueAt.get(id) !== second) continue;
        this.dueAt.set(id, TAKEN);
        out.push(id);
      }
    }
    if (this.taken === undefined || upTo > this.taken) this.taken = upTo;
    return out;
  }

  /**
   * The wall clock stepped back `seconds` (corrected): every id moves as far back, keeping its
   * spread, or it would wait for the clock to reach where it was (a check unlooked-at for that long).
   */
  private stepBack(seconds: number): void {
    this.seconds.clear();
    for (const [id, second] of this.dueAt) {
      if (second === TAKEN) continue;
      const moved = second - seconds;
      this.dueAt.set(id, moved);
      const bucket = this.seconds.get(moved);
      if (bucket) bucket.push(id);
      else this.seconds.set(moved, [id]);
    }
    this.taken = (this.taken ?? 0) - seconds;
  }
}
