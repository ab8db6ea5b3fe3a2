import { type Check, CheckRegistry, type Logger, type Redis, type RedisKeys } from '@vigil/core';

/**
 * The notifier's view of the registry: every check, kept current by the change channel and a
 * periodic reload (a missed message costs at most one reload period).
 */
export class CheckCatalog {
  private readonly registry: CheckRegistry;
  private checks = new Map<string, Check>();
  private unwatch: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys; log: Logger; subscriber?: Redis }) {
    this.registry = new CheckRegistry({ redis: ctx.redis, keys: ctx.keys });
  }

  /**
   * Watches the change channel when it has a subscriber connection; the full reload is then only a
   * safety net and runs once a minute (it parses the whole fleet), else every 10 s.
   */
  async start(reloadEveryMs = this.ctx.subscriber ? 60_000 : 10_000): Promise<void> {
    if (this.ctx.subscriber) {
      this.unwatch = await this.registry.watch(this.ctx.subscriber, (change) => void this.refresh(change.id));
    }
    await this.reload();
    this.timer = setInterval(() => void this.reload().catch(() => {}), reloadEveryMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.unwatch?.();
  }

  get(id: string): Check | undefined {
    return this.checks.get(id);
  }

  size(): number {
    return this.checks.size;
  }

  all(): Check[] {
    return [...this.checks.values()];
  }

  /** Reads the check now when it is unknown (registered a moment ago). */
  async fetch(id: string): Promise<Check | undefined> {
    return this.checks.get(id) ?? (await this.refresh(id));
  }

  async reload(): Promise<void> {
    const checks = await this.registry.list();
    this.checks = new Map(checks.map((check) => [check.id, check]));
  }

  private async refresh(id: string): Promise<Check | undefined> {
    try {
      const check = await this.registry.get(id);
      if (check) this.checks.set(id, check);
      else this.checks.delete(id);
      return check;
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message, check: id }, 'could not refresh a check');
      return undefined;
    }
  }
}
