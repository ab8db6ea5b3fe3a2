import type { Check, Clock, Logger, NotifierSettings, Redis, RedisKeys, ResultJobData } from '@vigil/core';
import type { IncidentDesk } from '../incidents/incident-desk.js';
import { observeEvaluatorLag } from '../notifier-metrics.js';
import type { CheckCatalog } from './check-catalog.js';
import { CheckStates } from './check-state.js';
import { RoundBook, type RoundRef } from './round-book.js';
import { judgeRound, toRoundOutcome } from './round-verdict.js';
import type { VantageHealth } from './vantage-health.js';

export interface EvaluatorOptions {
  redis: Redis;
  keys: RedisKeys;
  log: Logger;
  clock: Clock;
  catalog: CheckCatalog;
  desk: IncidentDesk;
  health: VantageHealth;
  /** Every configured vantage: a check without its own list is probed from all of them. */
  vantages: readonly string[];
  settings: Pick<NotifierSettings, 'roundGrace'>;
}

/**
 * Results → rounds → check state. A round is decided once: as soon as every expected vantage
 * reported, or at its deadline with whoever did. Decided rounds go through the state machine in
 * order; a result for a round already decided (late, or a duplicate) changes nothing.
 */
export class Evaluator {
  private readonly book: RoundBook;
  private readonly states: CheckStates;

  constructor(private readonly options: EvaluatorOptions) {
    this.book = new RoundBook(options);
    this.states = new CheckStates(options);
  }

  /** The recorder's hook: called once per newly recorded result. */
  async onResult(data: ResultJobData): Promise<void> {
    const { result } = data;
    const check = await this.options.catalog.fetch(result.checkId);
    if (!check || check.paused) return;
    const expected = this.expectedVantages(check);
    if (!expected.includes(result.vantage)) return;
    const added = await this.book.add({
      checkId: check.id,
      round: result.round,
      vantage: result.vantage,
      outcome: toRoundOutcome(result),
      expected: expected.length,
      deadline: result.round + check.timeoutMs + this.options.settings.roundGrace,
      ttlMs: Math.max(check.intervalMs * 4, 60_000),
    });
    if (added === 'complete') await this.decide({ checkId: check.id, round: result.round }, check);
  }

  /** Decides rounds whose deadline passed without every vantage; returns how many. */
  async decideDue(): Promise<number> {
    const due = await this.book.claimDue(this.options.clock.now());
    due.sort((a, b) => a.round - b.round);
    for (const ref of due) {
      const check = await this.options.catalog.fetch(ref.checkId);
      if (check && !check.paused) await this.decide(ref, check);
    }
    return due.length;
  }

  /** Vantages expected to report: the check's own (or all), less those known to be silent. */
  expectedVantages(check: Check): string[] {
    const all = check.vantages.length > 0 ? check.vantages : this.options.vantages;
    const silent = this.options.health.silent();
    const live = all.filter((vantage) => !silent.has(vantage));
    return live.length > 0 ? live : [...all];
  }

  private async decide(ref: RoundRef, check: Check): Promise<void> {
    const outcomes = await this.book.outcomes(ref);
    const verdict = judgeRound(outcomes, { quorum: check.quorum, impaired: this.options.health.impaired() });
    if (!verdict) return;
    observeEvaluatorLag(ref.round, this.options.clock.now());
    await this.options.health.observe(ref, verdict);
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
      now: this.options.clock.now(),
    });
    if (change && change.from !== change.to) {
      this.options.log.info(
        { check: check.id, round: ref.round, from: change.from, to: change.to },
        'check state changed',
      );
    }
    if (change?.transition) await this.options.desk.apply(change.transition);
  }
}
