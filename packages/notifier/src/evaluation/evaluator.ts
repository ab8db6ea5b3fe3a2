import { type Check, isProbed, namedVantages, type RecordOutcome, type ResultJobData } from '@vigil/core';
import type { IncidentDesk } from '../incidents/incident-desk.js';
import type { NotifierContext } from '../notifier-context.js';
import { countDroppedResults, observeEvaluatorLag } from '../notifier-metrics.js';
import type { AddressRound, AddressTransition } from './address-states.js';
import { judgeAddresses } from './address-verdict.js';
import type { CheckCatalog } from './check-catalog.js';
import type { CheckStates, StateChange, Transition, VerdictInput } from './check-state.js';
import { type BookEntry, type ClaimedRound, parseBook, type RoundBook, type RoundRef } from './round-book.js';
import { judgeRound, type RoundOutcome, toRoundOutcome } from './round-verdict.js';
import type { VantageHealth } from './vantage-health.js';

/** The vantage of a pushed (heartbeat) check's results. */
export const PUSH_VANTAGE = 'push';

/**
 * Failed rounds in a row before `down`, and good ones before `up`. A heartbeat's round is a run of
 * the job, and its grace is already the confirmation window: its first failed run is down, its first
 * success up, whatever `confirmations` says.
 */
function confirmationsOf(check: Check): number {
  return isProbed(check) ? check.confirmations : 1;
}

type EvaluatorContext = Pick<
  NotifierContext,
  'log' | 'clock' | 'rounds' | 'checkStates' | 'addressStates' | 'vantages' | 'settings' | 'results'
>;

/** The parts an evaluator hands its decisions to and reads the fleet from. */
export interface EvaluatorParts {
  catalog: CheckCatalog;
  desk: IncidentDesk;
  health: VantageHealth;
}

/** A result's outcome for the round book, with its check. */
type CheckEntry = BookEntry & { check: Check };

/** A round ready to be judged: its check and every outcome gathered for it. */
interface DecidedRound extends RoundRef {
  check: Check;
  outcomes: ReadonlyMap<string, RoundOutcome>;
}

/**
 * Results → rounds → check state. A round is decided once: as soon as every expected vantage
 * reported, or at its deadline with whoever did. Decided rounds go through the state machine in
 * order; a result for a round already decided (late, or a duplicate) changes nothing.
 *
 * A batch of results costs a bounded number of round trips, however many results it holds: checks
 * come from the catalog in memory, every outcome goes into the round book in one pipeline (which
 * answers with the outcomes of the rounds it completed), and every decided round's state machine,
 * vantage health and uptime buckets go in one more. Only transitions take the incident path.
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

  /** One newly recorded result: a batch of one. */
  async onResult(data: ResultJobData): Promise<void> {
    await this.onResults([data]);
  }

  /**
   * The recorder's path: records a batch and books each result's round outcome in the same script
   * (one per shard: core's record-results.lua), then decides the rounds it completed. Answers each
   * result's record outcome, in order; a duplicate is neither recorded nor booked.
   */
  async recordAndDecide(all: readonly ResultJobData[]): Promise<RecordOutcome[]> {
    if (all.length === 0) return [];
    const batch = await this.ofKnownChecks(all);
    if (batch.length === 0) return all.map(() => 'duplicate');
    const entries = await this.bookEntries(batch);
    const replies = await this.ctx.results
      .recordAndBook(
        batch.map(({ result, intervalMs }, i) => {
          const entry = entries[i];
          if (!entry) return { result, intervalMs };
          const booking = {
            outcome: JSON.stringify(entry.outcome),
            deadline: entry.deadline,
            expected: entry.expected,
          };
          return { result, intervalMs, booking };
        }),
      )
      .catch((err: unknown) => {
        // Some may be booked all the same (a script per shard, or one failing mid-batch): looked for by their deadline.
        this.book.expectDeadlines(entries.flatMap((entry) => (entry ? [entry.deadline] : [])));
        throw err;
      });
    const decided: DecidedRound[] = [];
    const completed: CheckEntry[] = [];
    const waiting: number[] = [];
    replies.forEach(({ booked }, i) => {
      const entry = entries[i];
      if (entry && booked === 'waiting') waiting.push(entry.deadline);
      if (entry && typeof booked === 'object') {
        decided.push({
          checkId: entry.checkId,
          round: entry.round,
          check: entry.check,
          outcomes: parseBook(booked.book),
        });
        if (entry.expected > 1) completed.push(entry);
      }
    });
    this.book.noteCompleted(completed);
    this.book.expectDeadlines(waiting);
    await this.decide(decided);
    const outcomes = new Map(batch.map((data, i) => [data, replies[i]?.recorded ?? 'duplicate']));
    return all.map((data) => outcomes.get(data) ?? 'duplicate');
  }

  /**
   * The results whose check the registry has: one deleted while its round was in flight is dropped
   * (counted), or it would write back keys the delete forgot, for whoever creates the id next.
   */
  private async ofKnownChecks(batch: readonly ResultJobData[]): Promise<readonly ResultJobData[]> {
    const checks = await this.parts.catalog.fetchMany(batch.map((data) => data.result.checkId));
    const known = batch.filter((data) => checks.has(data.result.checkId));
    if (known.length === batch.length) return batch;
    countDroppedResults('unknown_check', batch.length - known.length);
    const unknown = [...new Set(batch.filter((data) => !checks.has(data.result.checkId)).map((d) => d.result.checkId))];
    this.ctx.log.debug(
      { checks: unknown.slice(0, 10), results: batch.length - known.length },
      'results of unknown checks dropped',
    );
    return known;
  }

  /** For results recorded already (heartbeats; a recorder without `recordAndDecide`): books them, decides what completed. */
  async onResults(batch: readonly ResultJobData[]): Promise<void> {
    if (batch.length === 0) return;
    const entries = (await this.bookEntries(batch)).filter((entry): entry is CheckEntry => entry !== undefined);
    const added = await this.book.addMany(entries);
    const decided: DecidedRound[] = [];
    added.forEach((outcome, i) => {
      const entry = entries[i];
      if (entry && outcome.status === 'complete')
        decided.push({ checkId: entry.checkId, round: entry.round, check: entry.check, outcomes: outcome.outcomes });
    });
    this.book.noteCompleted(entries.filter((entry, i) => entry.expected > 1 && added[i]?.status === 'complete'));
    this.book.expectDeadlines(entries.filter((_, i) => added[i]?.status === 'waiting').map((entry) => entry.deadline));
    await this.decide(decided);
  }

  /** Each result's entry for the round book, in order; none for a check unknown, paused or not expecting the vantage. */
  private async bookEntries(batch: readonly ResultJobData[]): Promise<(CheckEntry | undefined)[]> {
    const checks = await this.parts.catalog.fetchMany(batch.map((data) => data.result.checkId));
    return batch.map(({ result }) => {
      const check = checks.get(result.checkId);
      if (!check || check.paused) return undefined;
      const expected = this.expectedVantages(check);
      if (!expected.includes(result.vantage)) return undefined;
      return {
        check,
        checkId: check.id,
        round: result.round,
        vantage: result.vantage,
        outcome: toRoundOutcome(result),
        expected: expected.length,
        deadline: result.round + check.timeoutMs + this.ctx.settings.roundGrace,
      };
    });
  }

  /**
   * The notifier's round tick: `decideDue`, unless no round can be due yet (no deadline the round
   * book read or booked has passed, and it read `pending` less than a second ago). A round booked
   * here is decided at the same tick as before; one another notifier booked and left, within a second.
   */
  async decideDueOnTick(): Promise<number> {
    if (!this.book.mayHaveDue(this.ctx.clock.now())) return 0;
    return this.decideDue();
  }

  /**
   * Decides rounds whose deadline passed without every vantage; returns how many. Claims again while
   * a claim stopped at its cap, for at most `budgetMs` of wall time, so a backlog drains within ticks
   * (each entry is claimed by one notifier only, whoever runs beside).
   */
  async decideDue(budgetMs = 200): Promise<number> {
    const started = performance.now();
    let decided = 0;
    for (;;) {
      const due = await this.book.claimDue(this.ctx.clock.now());
      await this.decideClaimed(due);
      decided += due.length;
      if (!due.more || performance.now() - started >= budgetMs) return decided;
    }
  }

  private async decideClaimed(due: readonly ClaimedRound[]): Promise<void> {
    if (due.length === 0) return;
    const ids = due.map((ref) => ref.checkId);
    // The rounds are claimed already: when the registry does not answer, those of checks the catalog
    // holds are still decided, and only the others are let go (a result's entry, unlike these, can wait).
    const checks = await this.parts.catalog.fetchMany(ids).catch(() => this.cachedChecks(ids));
    // A claimed round's book is gone already: one of a check paused or deleted is just not decided.
    const decided: DecidedRound[] = [];
    for (const ref of due) {
      const check = checks.get(ref.checkId);
      if (check && !check.paused) decided.push({ ...ref, check });
    }
    await this.decide(decided);
  }

  private cachedChecks(ids: readonly string[]): Map<string, Check> {
    const found = new Map<string, Check>();
    for (const id of ids) {
      const check = this.parts.catalog.get(id);
      if (check) found.set(id, check);
    }
    return found;
  }

  /**
   * Vantages expected to report: the check's own, each once (one stored before a vantage listed
   * twice was refused names it twice), or all; less those known to be silent; `push` for a heartbeat.
   */
  expectedVantages(check: Check): string[] {
    if (!isProbed(check)) return [PUSH_VANTAGE];
    const all = check.vantages.length > 0 ? namedVantages(check) : this.ctx.vantages;
    const silent = this.parts.health.silent();
    const live = all.filter((vantage) => !silent.has(vantage));
    return live.length > 0 ? live : [...all];
  }

  /**
   * Judges each round and applies every verdict (with who reported it, for vantage health) in one
   * pipeline, oldest round first; then hands the transitions, in that order, to the incident desk.
   */
  private async decide(rounds: DecidedRound[]): Promise<void> {
    if (rounds.length === 0) return;
    rounds.sort((a, b) => a.round - b.round);
    const impaired = this.parts.health.impaired();
    const now = this.ctx.clock.now();
    const observations = this.parts.health.observations();
    const applied: DecidedRound[] = [];
    const verdicts: VerdictInput[] = [];
    const addressRounds: AddressRound[] = [];
    for (const ref of rounds) {
      const { check } = ref;
      const verdict = judgeRound(ref.outcomes, { quorum: check.quorum, impaired });
      if (!verdict) continue;
      addressRounds.push({
        checkId: check.id,
        round: ref.round,
        confirmations: check.confirmations,
        verdicts: judgeAddresses(ref.outcomes, { quorum: check.quorum, impaired }),
        durable: check.alertOn === 'address',
      });
      observeEvaluatorLag(ref.round, now);
      // Vantage health is about probers; a pushed check's rounds say nothing of them.
      if (isProbed(check)) await this.parts.health.observe(ref, verdict, observations);
      applied.push(ref);
      verdicts.push({
        checkId: check.id,
        round: ref.round,
        verdict: verdict.verdict,
        confirmations: confirmationsOf(check),
        alertOn: check.alertOn,
        detail: {
          failing: verdict.failing,
          counted: verdict.counted.length,
          ...(verdict.error && { error: verdict.error }),
          ...(verdict.message && { message: verdict.message }),
        },
        now,
      });
    }
    if (applied.length === 0) return;
    const pipeline = this.states.pipeline();
    const addresses = this.ctx.addressStates.queueApplyMany(pipeline, addressRounds, now);
    const readApplied = this.states.queueApplyMany(pipeline, verdicts, now);
    const observedFrom = pipeline.length;
    observations.queue(pipeline);
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.slice(0, observedFrom).find(([err]) => err)?.[0];
    // Vantage health's bookkeeping (checks seen, solo failures) failing (a corrupt or mistyped key)
    // costs its figures a batch, not the batch its rounds: those applied.
    const unobserved = replies.slice(observedFrom).find(([err]) => err)?.[0];
    if (unobserved) this.ctx.log.warn({ err: unobserved.message }, 'vantage observations of a batch not written');
    const changes = readApplied(replies.slice(addresses.calls));
    const addressTransitions = addresses.read(replies);
    const transitions: Transition[] = [];
    for (const [i, ref] of applied.entries()) {
      const change = changes[i];
      if (change && change.from !== change.to) {
        this.ctx.log.info(
          { check: ref.checkId, round: ref.round, from: change.from, to: change.to },
          'check state changed',
        );
      }
      if (change?.transition) transitions.push(change.transition);
    }
    for (const transition of transitions) await this.parts.desk.apply(transition);
    await this.applyAddresses(applied, changes, addressTransitions);
    // The rounds that did apply are in the outbox and went on; a failed one is thrown for the batch.
    if (failed) throw failed;
  }

  /** Address transitions take the incident path only where an incident may be open, or opened for them. */
  private async applyAddresses(
    applied: readonly DecidedRound[],
    changes: readonly (StateChange | undefined)[],
    transitions: readonly AddressTransition[],
  ): Promise<void> {
    const alerting = new Map<string, boolean>();
    for (const [i, ref] of applied.entries()) {
      const to = changes[i]?.to;
      if (to === undefined) continue;
      const { alertOn } = ref.check;
      alerting.set(
        ref.checkId,
        alertOn === 'address' || to === 'down' || (alertOn === 'degraded' && to === 'degraded'),
      );
    }
    for (const transition of transitions) {
      if (alerting.get(transition.checkId)) await this.parts.desk.applyAddress(transition);
    }
  }
}
