/**
 * At most `perHost` probes at once against one target host from this process, so a fleet with many
 * checks on one host never becomes the flood it watches for. Waiters are served in arrival order.
 */
export class HostLimiter {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly perHost: number) {}

  run<T>(host: string, task: () => Promise<T>): Promise<T> {
    // A free place is taken at once: awaiting an already settled promise costs every probe a turn.
    if (this.tryAcquire(host)) return this.holding(host, task);
    return this.queue(host).then(() => this.holding(host, task));
  }

  /** Probes running now against `host` (for tests and metrics). */
  inFlight(host: string): number {
    return this.active.get(host) ?? 0;
  }

  private async holding<T>(host: string, task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } finally {
      this.release(host);
    }
  }

  private tryAcquire(host: string): boolean {
    const count = this.active.get(host) ?? 0;
    if (count >= this.perHost) return false;
    this.active.set(host, count + 1);
    return true;
  }

  /** Resolves once a finishing task hands this caller its place. */
  private queue(host: string): Promise<void> {
    return new Promise((resolve) => {
      const queue = this.waiting.get(host) ?? [];
      queue.push(resolve);
      this.waiting.set(host, queue);
    });
  }

  private release(host: string): void {
    const queue = this.waiting.get(host);
    const next = queue?.shift();
    if (next) {
      if (queue?.length === 0) this.waiting.delete(host);
      next();
      return;
    }
    const count = (this.active.get(host) ?? 1) - 1;
    if (count === 0) this.active.delete(host);
    else this.active.set(host, count);
  }
}
