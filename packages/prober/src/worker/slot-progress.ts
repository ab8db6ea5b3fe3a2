/** What a slot job's progress holds: the checks of its round already probed (and reported). */
interface Progress {
  done: string[];
}

function doneOf(progress: unknown): string[] {
  const done = (progress as Partial<Progress> | null)?.done;
  return Array.isArray(done) ? done.filter((id): id is string => typeof id === 'string') : [];
}

/**
 * Which checks of a slot job's round are done, saved on the job at most every `everyMs` while it
 * runs. A prober killed mid-slot leaves it behind; the prober that claims the stalled job again
 * skips those, so only the probes in flight at the kill (and in the last `everyMs`) run twice — and
 * the result store records a (check, vantage, round) once.
 */
export class SlotProgress {
  private readonly done: Set<string>;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly job: { progress: unknown; updateProgress(progress: Progress): Promise<void> },
    private readonly everyMs = 1_000,
  ) {
    this.done = new Set(doneOf(job.progress));
  }

  has(checkId: string): boolean {
    return this.done.has(checkId);
  }

  /** Call once the check's result is safe in the results queue. */
  add(checkId: string): void {
    this.done.add(checkId);
    this.dirty = true;
    this.timer ??= setTimeout(() => void this.save(), this.everyMs);
  }

  /** The job is over: nothing more to save. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async save(): Promise<void> {
    this.timer = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    // The job may complete meanwhile; its progress then no longer matters.
    await this.job.updateProgress({ done: [...this.done] }).catch(() => undefined);
  }
}
