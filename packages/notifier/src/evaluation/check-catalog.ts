import type { Check, CheckRegistry } from '@vigil/core';
import type { NotifierContext } from '../notifier-context.js';

/**
 * The notifier's view of the registry: every check, kept current by the change channel and a
 * periodic reload (a missed message costs at most one reload period).
 */
export class CheckCatalog {
  private readonly registry: CheckRegistry;
  private checks = new Map<string, Check>();
  private unwatch: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: Pick<NotifierContext, 'checks' | 'blocking' | 'log'>) {
    this.registry = ctx.checks;
  }

  /**
   * Watches the change channel on its own connection; the full reload is then only a safety net and
   * runs once a minute (it parses the whole fleet).
   */
  async start(reloadEveryMs = 60_000): Promise<void> {
    this.unwatch = await this.registry.watch(this.ctx.blocking.registry, (change) => void this.refreshMany(change.ids));
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

  /** Many checks by id, reading the unknown ones (if any) in one round trip. */
  async fetchMany(ids: Iterable<string>): Promise<Map<string, Check>> {
    const found = new Map<string, Check>();
    const unknown = new Set<string>();
    for (const id of ids) {
      const check = this.checks.get(id);
      if (check) found.set(id, check);
      else unknown.add(id);
    }
    if (unknown.size === 0) return found;
    const missing = [...unknown];
    try {
      const read = await this.registry.getMany(missing);
      missing.forEach((id, i) => {
        const check = read[i];
        if (check) {
          this.checks.set(id, check);
          found.set(id, check);
        } else this.checks.delete(id);
      });
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message, checks: missing.length }, 'could not refresh checks');
    }
    return found;
  }

  async reload(): Promise<void> {
    const checks = await this.registry.list();
    this.checks = new Map(checks.map((check) => [check.id, check]));
  }

  /** Reads checks a change named (one round trip however many); gone ones are forgotten. */
  private async refreshMany(ids: readonly string[]): Promise<void> {
    try {
      const read = await this.registry.getMany(ids);
      ids.forEach((id, i) => {
        const check = read[i];
        if (check) this.checks.set(id, check);
        else this.checks.delete(id);
      });
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message, checks: ids.length }, 'could not refresh checks');
    }
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
