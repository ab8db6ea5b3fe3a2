/**
 * Promises shared by key for a while: every caller within `ttlMs` of a build gets that build, so a
 * crowd costs one read per period. A failed build, or one `keep` turns down, is forgotten at once, so
 * an error (or an empty first answer) is not served to everyone for the period.
 */
export class TimedMemo {
  private readonly entries = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(private readonly options: { ttlMs: number; maxKeys?: number }) {}

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  get<T>(key: string, now: number, build: () => Promise<T>, keep: (value: T) => boolean = () => true): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && now - hit.at >= 0 && now - hit.at < this.options.ttlMs) return hit.value as Promise<T>;
    if (this.entries.size >= (this.options.maxKeys ?? Number.POSITIVE_INFINITY)) this.entries.clear();
    const value = build();
    this.entries.set(key, { at: now, value });
    const forget = () => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    };
    value.then((result) => {
      if (!keep(result)) forget();
    }, forget);
    return value;
  }
}
