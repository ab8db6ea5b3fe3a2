import type { Check, ResultJobData } from '@vigil/core';
import type { IncidentDesk } from '../incidents/incident-desk.js';
import type { NotifierContext } from '../notifier-context.js';
import { observeEvaluatorLag } from '../notifier-metrics.js';
import type { CheckCatalog } from './check-catalog.js';
import type { CheckStates } from './check-state.js';
import type { RoundBook, RoundRef } from './round-book.js';
import { judgeRound, toRoundOutcome } from './round-verdict.js';
import type { VantageHealth } from './vantage-health.js';

type EvaluatorContext = Pick<NotifierContext, 'log' | 'clock' | 'rounds' | 'checkStates' | 'vantages' | 'settings'>;

/** The parts an evaluator hands its decisions to and reads the fleet from. */
export interface EvaluatorParts {
  catalog: CheckCatalog;
  desk: IncidentDesk;
  health: VantageHealth;
}

/**
 * Results → rounds → check state. A round is decided once: as soon as every expected vantage
 * reported, or at its deadline with whoever did. Decided rounds go through the state machine in
 * order; a result for a round already decided (late, or a duplicate) changes nothing.
 */
export class Evaluator {
  private readonly book: RoundBook;
  private readonly states: CheckStates;

  constructor(
    private readonly ctx: EvaluatorContext,
    private readonly parts: EvaluatorParts,
  ) {
    this.book = ctx.rounds;
    this.states = ctx.checkStates;
  }

  /** The recorder's hook: called once per newly recorded result. */
  async onResult(data: ResultJobData): Promise<void> {
    const { result } = data;
    const check = await this.parts.catalog.fetch(result.checkId);
    if (!check || check.paused) return;
    const expected = this.expectedVantages(check);
    if (!expected.includes(result.vantage)) return;
    const added = await this.book.add({
      checkId: check.id,
      round: result.round,
      vantage: result.vantage,
      outcome: toRoundOutcome(result),
      expected: expected.length,
      deadline: result.round + check.timeoutMs + this.ctx.settings.roundGrace,
      ttlMs: Math.max(check.intervalMs * 4, 60_000),
    });
    if (added === 'complete') await this.decide({ checkId: check.id, round: result.round }, check);
  }

  /** Decides rounds whose deadline passed without every vantage; returns how many. */
  async decideDue(): Promise<number> {
    const due = await this.book.claimDue(this.ctx.clock.now());
    due.sort((a, b) => a.round - b.round);
    for (const ref of due) {
      const check = await this.parts.catalog.fetch(ref.checkId);
      if (check && !check.paused) await this.decide(ref, check);
    }
    return due.length;
  }

  /** Vantages expected to report: the check's own (or all), less those known to be silent. */
  expectedVantages(check: Check): string[] {
    const all = check.vantages.length > 0 ? check.vantages : this.ctx.vantages;
    const silent = this.parts.health.silent();
    const live = all.filter((vantage) => !silent.has(vantage));
    return live.length > 0 ? live : [...all];
  }

  private async decide(ref: RoundRef, check: Check): Promise<void> {
    const outcomes = await this.book.outcomes(ref);
    const verdict = judgeRound(outcomes, { quorum: check.quorum, impaired: this.parts.health.impaired() });
    if (!verdict) return;
    observeEvaluatorLag(ref.round, this.ctx.clock.now());
    await this.parts.health.observe(ref, verdict);
    const change = await this.states.apply({
      checkId: check.id,
      round: ref.round,
      verdict: verdict.verdict,
      confirmations: check.confirmations,
      alertOn: check.alertOn,
      detail: {
        failing: verdict.failing,
        counted: verdict.counted.length,
        ...(verdict.error && { error: verdict.error }),
        ...(verdict.message && { message: verdict.message }),
      },
      now: this.ctx.clock.now(),
    });
    if (change && change.from !== change.to) {
      this.ctx.log.info({ check: check.id, round: ref.round, from: change.from, to: change.to }, 'check state changed');
    }
    if (change?.transition) await this.parts.desk.apply(change.transition);
  }
}
