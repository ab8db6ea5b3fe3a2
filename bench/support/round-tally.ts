/**
 * What the schedule bench learns from recorded results: for the rounds due inside the measuring
 * window, which (check, vantage, round) arrived, how late each probe started, and how the starts
 * spread over wall-clock seconds.
 */
import type { RecordOutcome, ResultJobData } from '@vigil/core';
import { slotOffset } from '@vigil/scheduler';
import { percentile } from './stats.js';

export interface Window {
  from: number;
  to: number;
}

export interface RoundFigures {
  expected: number;
  recorded: number;
  lost: number;
  duplicates: number;
  /** Results whose round is not a slot of its check's schedule (should be none). */
  misaligned: number;
  lateness: { p50: number; p99: number; max: number };
  /** Probe starts per wall-clock second: the busiest second ÷ the mean over the window. */
  busiestOverMean: number;
  busiestSecond: number;
  meanPerSecond: number;
  /** The same ratio for the scheduled round times alone: the spread the offsets allow. */
  offsetsBusiestOverMean: number;
}

export class RoundTally {
  private window: Window | undefined;
  private readonly seen = new Set<string>();
  private readonly lateness: number[] = [];
  private readonly starts = new Map<number, number>();
  private duplicates = 0;
  private misaligned = 0;

  constructor(
    private readonly checkIds: readonly string[],
    private readonly vantages: readonly string[],
    private readonly intervalMs: number,
  ) {}

  /** From now on, results of rounds due in [from, to) are counted. */
  open(window: Window): void {
    this.window = window;
  }

  /** How many of the window's expected results are in. */
  get recorded(): number {
    return this.seen.size;
  }

  readonly add = ({ result }: ResultJobData, outcome: RecordOutcome): void => {
    const window = this.window;
    if (!window || result.round < window.from || result.round >= window.to) return;
    if (outcome === 'duplicate') {
      this.duplicates++;
      return;
    }
    if ((result.round - slotOffset(result.checkId, this.intervalMs)) % this.intervalMs !== 0) this.misaligned++;
    this.seen.add(`${result.checkId}@${result.vantage}@${result.round}`);
    this.lateness.push(result.startedAt - result.round);
    const second = Math.floor(result.startedAt / 1000);
    this.starts.set(second, (this.starts.get(second) ?? 0) + 1);
  };

  /** Rounds of every check × vantage due inside the window. */
  expected(): number {
    const window = this.window;
    if (!window) return 0;
    return this.scheduledRounds(window).length * this.vantages.length;
  }

  figures(): RoundFigures {
    const window = this.window ?? { from: 0, to: 0 };
    const seconds = (window.to - window.from) / 1000;
    const expected = this.expected();
    const busiestSecond = Math.max(0, ...this.starts.values());
    const meanPerSecond = this.seen.size / seconds;
    const scheduled = new Map<number, number>();
    for (const round of this.scheduledRounds(window)) {
      const second = Math.floor(round / 1000);
      scheduled.set(second, (scheduled.get(second) ?? 0) + 1);
    }
    const scheduledMean = expected / this.vantages.length / seconds;
    return {
      expected,
      recorded: this.seen.size,
      lost: expected - this.seen.size,
      duplicates: this.duplicates,
      misaligned: this.misaligned,
      lateness: {
        p50: percentile(this.lateness, 50),
        p99: percentile(this.lateness, 99),
        max: this.lateness.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY),
      },
      busiestOverMean: busiestSecond / meanPerSecond,
      busiestSecond,
      meanPerSecond,
      offsetsBusiestOverMean: Math.max(0, ...scheduled.values()) / scheduledMean,
    };
  }

  /** Every check's slots (`k × interval + offset`) in the window, one entry per check and slot. */
  private scheduledRounds(window: Window): number[] {
    const rounds: number[] = [];
    for (const id of this.checkIds) {
      const offset = slotOffset(id, this.intervalMs);
      const first = Math.ceil((window.from - offset) / this.intervalMs) * this.intervalMs + offset;
      for (let round = first; round < window.to; round += this.intervalMs) rounds.push(round);
    }
    return rounds;
  }
}
