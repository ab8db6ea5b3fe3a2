import { type Check, type CheckRegistry, type FullRead, fullReadDue, isProbed } from '@vigil/core';
import type { NotifierContext } from '../notifier-context.js';

/**
 * The notifier's view of the registry: every check, kept current by the change channel. The
 * registry's version counts every check changed, so a periodic look at it tells whether a message
 * was missed; only then (or, as insurance, once `fullReloadEveryMs` has passed and at least a hundred
 * times what the last reload took: `fullReadDue`) is the whole fleet read again.
 */
export class CheckCatalog {
  private readonly registry: CheckRegistry;
  private checks = new Map<string, Check>();
  /** Ids of the checks no vantage probes (heartbeats): the watch that judges them looks every second. */
  private pushed = new Set<string>();
  private unwatch: (() => Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The registry version the catalog accounts for: the one its last reload read, plus every change applied since. */
  private accounted = 0;
  private lastReload: FullRead = { at: 0, tookMs: 0 };
  /**
   * The reload a look started, while it reads: the next look waits for it rather than start another
   * (a million checks' reload outlasts a look's period, and one look after another each started their
   * own, side by side, while the first had not yet recorded its read).
   */
  private reloading: Promise<void> | undefined;
  /** Reloads begun: a refresh that sees this move drops its read, the newer reload's being as new. */
  private reloadsBegun = 0;
  /** Ids changed while a reload reads (it may have read them before the change): read again after it. */
  private changedWhileReloading: Set<string> | undefined;
  /** Told of each check the catalog had and the registry no longer has (deleted). */
  private readonly goneListeners: ((id: string) => void)[] = [];
  /** Told of each check a change stored (new or changed), and of each one a reload found new. */
  private readonly storedListeners: ((id: string) => void)[] = [];

  constructor(private readonly ctx: Pick<NotifierContext, 'checks' | 'blocking' | 'log'>) {
    this.registry = ctx.checks;
  }

  /**
   * Watches the change channel on its own connection, then checks the registry's version every
   * `checkEveryMs`: it reloads in full (a million checks parse for seconds) only when a change went
   * unheard, or as insurance when the last full reload is `fullReloadEveryMs` old and a hundred
   * times its own duration (a million checks' reload takes minutes of a core: `fullReadDue`).
   */
  async start(options: { checkEveryMs?: number; fullReloadEveryMs?: number } = {}): Promise<void> {
    const fullEvery = options.fullReloadEveryMs ?? 15 * 60_000;
    this.unwatch = await this.registry.watch(this.ctx.blocking.registry, (change) => {
      void this.refreshMany(change.ids);
    });
    await this.reload();
    this.timer = setInterval(() => void this.reloadIfMissed(fullEvery).catch(() => {}), options.checkEveryMs ?? 60_000);
    this.timer.unref();
  }

  /** Reloads when the registry counts changes the catalog did not hear of, or the insurance reload is due. */
  private async reloadIfMissed(fullEveryMs: number): Promise<void> {
    if (this.reloading) return;
    const version = await this.registry.version();
    if (version === this.accounted && !fullReadDue(this.lastReload, fullEveryMs, Date.now())) return;
    if (this.reloading) return;
    this.reloading = this.reload().finally(() => {
      this.reloading = undefined;
    });
    await this.reloading;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.unwatch?.();
  }

  /** Calls `listener` with the id of each check found deleted (heard of, or missing at a reload). */
  onGone(listener: (id: string) => void): void {
    this.goneListeners.push(listener);
  }

  /**
   * Calls `listener` with the id of each check a change stored (new or changed) and of each one a
   * reload found that the catalog did not have: what a reader keeping its own schedule of checks
   * needs to hear, so it never walks the whole fleet (a reload's changed ones it hears of no sooner
   * than its own schedule says).
   */
  onStored(listener: (id: string) => void): void {
    this.storedListeners.push(listener);
  }

  /** Every check's id, as the catalog holds them now. */
  ids(): IterableIterator<string> {
    return this.checks.keys();
  }

  get(id: string): Check | undefined {
    return this.checks.get(id);
  }

  size(): number {
    return this.checks.size;
  }

  /** The checks no vantage probes (heartbeats), without walking the whole fleet. */
  pushedChecks(): Check[] {
    const found: Check[] = [];
    for (const id of this.pushed) {
      const check = this.checks.get(id);
      if (check) found.push(check);
    }
    return found;
  }

  /** Reads the check now when it is unknown (registered a moment ago). */
  async fetch(id: string): Promise<Check | undefined> {
    return this.checks.get(id) ?? (await this.refresh(id));
  }

  /**
   * Many checks by id, reading the unknown ones (if any) in one round trip; one the registry does not
   * have is left out. Throws when the registry cannot be read: a check left out is really gone.
   */
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
        this.store(id, check);
        if (check) found.set(id, check);
      });
    } catch (err) {
      // Thrown, not answered with the cached ones: the caller would take the rest for deleted checks and
      // drop their results, when the registry only failed to answer. The caller retries (the entry stays pending).
      this.ctx.log.warn({ err: (err as Error).message, checks: missing.length }, 'could not refresh checks');
      throw new Error(`could not read ${missing.length} checks from the registry: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return found;
  }

  /**
   * Reads every check. Changes heard while it reads are read again after it and not counted: when the
   * version it read did not include them, the next look reloads once more.
   */
  async reload(): Promise<void> {
    this.reloadsBegun += 1;
    const startedAt = performance.now();
    const changed = new Set<string>();
    this.changedWhileReloading = changed;
    try {
      const version = await this.registry.version();
      const checks = await this.registry.list();
      const before = this.checks;
      this.checks = new Map(checks.map((check) => [check.id, check]));
      for (const id of before.keys()) if (!this.checks.has(id)) this.gone(id);
      for (const id of this.checks.keys()) if (!before.has(id)) this.stored(id);
      this.pushed = new Set(checks.filter((check) => !isProbed(check)).map((check) => check.id));
      this.accounted = version;
      this.lastReload = { at: Date.now(), tookMs: performance.now() - startedAt };
    } catch (err) {
      this.accounted = -1; // the next look reloads
      throw err;
    } finally {
      if (this.changedWhileReloading === changed) this.changedWhileReloading = undefined;
    }
    if (changed.size > 0) await this.refreshMany([...changed], 0);
  }

  /**
   * Reads checks a change named (one round trip however many); gone ones are forgotten. The change
   * counts as accounted only once applied: a failed read makes the next look reload, so a Redis hiccup
   * does not leave a pause or a delete unseen until the next full reload.
   */
  private async refreshMany(ids: readonly string[], counted = ids.length): Promise<void> {
    if (this.changedWhileReloading) {
      for (const id of ids) this.changedWhileReloading.add(id);
      return;
    }
    const begun = this.reloadsBegun;
    try {
      const read = await this.registry.getMany(ids);
      // A reload begun meanwhile read after this change was announced: its state is at least as new.
      if (this.reloadsBegun !== begun) return;
      ids.forEach((id, i) => {
        this.store(id, read[i]);
      });
      this.accounted += counted;
    } catch (err) {
      this.accounted = -1; // the next look reloads
      this.ctx.log.warn({ err: (err as Error).message, checks: ids.length }, 'could not refresh checks');
    }
  }

  private async refresh(id: string): Promise<Check | undefined> {
    try {
      const check = await this.registry.get(id);
      this.store(id, check);
      return check;
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message, check: id }, 'could not refresh a check');
      return undefined;
    }
  }

  /** A check as the registry has it now; undefined: gone. */
  private store(id: string, check: Check | undefined): void {
    if (check) {
      this.checks.set(id, check);
      this.stored(id);
    } else if (this.checks.delete(id)) this.gone(id);
    if (check && !isProbed(check)) this.pushed.add(id);
    else this.pushed.delete(id);
  }

  private gone(id: string): void {
    for (const listener of this.goneListeners) listener(id);
  }

  private stored(id: string): void {
    for (const listener of this.storedListeners) listener(id);
  }
}
