/**
 * The waiters of one key, in arrival order. Served by moving `head`, not by `Array.shift`: a slot
 * job queues its 200 probes at once, so a busy prober has thousands waiting on its process-wide
 * gate, and shifting an array that long (in V8's large-object space) copies all of it every time.
 */
class Waiters {
  private items: ((() => void) | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(waiter: () => void): void {
    this.items.push(waiter);
  }

  /** Puts a waiter first in line. */
  unshift(waiter: () => void): void {
    if (this.head > 0) this.items[--this.head] = waiter;
    else this.items.unshift(waiter);
  }

  shift(): (() => void) | undefined {
    const waiter = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    // Drop the served part now and then, so the array does not grow with everything ever queued.
    if (this.head >= 1_024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return waiter;
  }
}

/**
 * At most `perHost` probes at once against one target host from this process, so a fleet with many
 * checks on one host never becomes the flood it watches for. Waiters are served in arrival order.
 */
export class HostLimiter {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, Waiters>();

  constructor(private readonly perHost: number) {}

  run<T>(host: string, task: () => Promise<T>): Promise<T> {
    // A free place is taken at once: awaiting an already settled promise costs every probe a turn.
    if (this.tryAcquire(host)) return this.holding(host, task);
    return this.queue(host).then(() => this.holding(host, task));
  }

  /**
   * Takes a place for `host` (undefined once taken at once; else a promise of it), for a caller
   * that starts its task only then and calls `release` when the task is over. `first`: ahead of
   * every waiter — for a caller just served that takes its places one at a time, so its tasks
   * still go before those of callers that came after it, as if all had been queued at once.
   */
  acquire(host: string, { first = false }: { first?: boolean } = {}): Promise<void> | undefined {
    return this.tryAcquire(host) ? undefined : this.queue(host, first);
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
  private queue(host: string, first = false): Promise<void> {
    return new Promise((resolve) => {
      let queue = this.waiting.get(host);
      if (!queue) {
        queue = new Waiters();
        this.waiting.set(host, queue);
      }
      if (first) queue.unshift(resolve);
      else queue.push(resolve);
    });
  }

  /** Gives back a place taken with `acquire` (`run` gives back its own). */
  release(host: string): void {
    const queue = this.waiting.get(host);
    const next = queue?.shift();
    if (next) {
      if (queue?.size === 0) this.waiting.delete(host);
      next();
      return;
    }
    const count = (this.active.get(host) ?? 1) - 1;
    if (count === 0) this.active.delete(host);
    else this.active.set(host, count);
  }
}
