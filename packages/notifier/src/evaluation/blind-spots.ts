import { isProbed } from '@vigil/core';
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
  private readonly nextLook = new Map<string, number>();

  constructor(
    private readonly ctx: BlindSpotsContext,
    private readonly parts: { catalog: CheckCatalog },
  ) {
    // A check created later with a deleted one's id has none of its rounds: the sweep must see it.
    parts.catalog.onGone((id) => ctx.checkStates.forget(id));
  }

  async tick(): Promise<void> {
    const { checkStates: states, settings, clock } = this.ctx;
    const { catalog } = this.parts;
    const now = clock.now();
    // A heartbeat without pings is late (down), not blind: its watch judges it.
    const watched = catalog
      .all()
      .filter((check) => !check.paused && isProbed(check) && (this.nextLook.get(check.id) ?? 0) <= now);
    // Half an interval late at most, on top of blindAfterRounds intervals: 50,000 checks cost a sweep
    // of those due, not 50,000 scripts every tick; and of those, Redis reads only the ones without a
    // round known to this notifier since their blind-before (`CheckStates.markBlind`).
    for (const check of watched) this.nextLook.set(check.id, now + check.intervalMs / 2);
    if (this.nextLook.size > 2 * catalog.size()) this.forgetDeleted();
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

  private forgetDeleted(): void {
    for (const id of this.nextLook.keys()) {
      if (this.parts.catalog.get(id)) continue;
      this.nextLook.delete(id);
      this.ctx.checkStates.forget(id);
    }
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
