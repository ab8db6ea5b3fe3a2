import {
  LATENCY_BUCKET_MS,
  LATENCY_PHASES,
  type LatencyAggregate,
  type LatencyLines,
  latencyLine,
  latencyOf,
  type ProbeResult,
} from '@vigil/core';

const PHASES = LATENCY_PHASES.length;
/** The end of a check's chain of entries. */
const NONE = -1;
/** Vantage names an instance tells apart: a Uint16 index each. */
const MAX_VANTAGES = 0x1_0000;

/** An aggregate as a line of the merge script describes it: its check is the line's argument. */
type LineAggregate = Omit<LatencyAggregate, 'checkId'>;

/**
 * The latency sums a LatencyAggregator holds between merges: per (check, vantage, hour bucket) its
 * samples, failures and each phase's summed ms. Stored as columns (typed arrays indexed by entry, a
 * check's entries chained from its one Map entry) rather than an object per entry: at 1,000,000
 * checks × 3 vantages the objects were ~3,000,000 keys, objects and records (~270 B each) that the
 * collector traced at every mark of the notifier's old space, its main cost at that size; columns are
 * ~58 B an entry that it never looks into, and a check costs one Map entry and its id.
 */
export class LatencySums {
  /** Per check (the first result's id string, held once) its first entry. */
  private readonly firsts = new Map<string, number>();
  private readonly vantageNames: string[] = [];
  private readonly vantageIndex = new Map<string, number>();
  /** Entries written; those of a forgotten check stay unused until the instance is dropped. */
  private length = 0;
  private live = 0;
  private samples: Uint32Array;
  private failures: Uint32Array;
  /** PHASES per entry, in LATENCY_PHASES' order. */
  private sums: Float64Array;
  private vantage: Uint16Array;
  /** Epoch ms ÷ LATENCY_BUCKET_MS. */
  private bucket: Int32Array;
  /** The check's next entry, or NONE. */
  private next: Int32Array;

  /** `capacity`: entries to make room for at once (the columns double past it). */
  constructor(capacity = 1_024) {
    const size = Math.max(16, Math.ceil(capacity));
    this.samples = new Uint32Array(size);
    this.failures = new Uint32Array(size);
    this.sums = new Float64Array(size * PHASES);
    this.vantage = new Uint16Array(size);
    this.bucket = new Int32Array(size);
    this.next = new Int32Array(size);
  }

  /** (check, vantage, bucket) entries held. */
  get size(): number {
    return this.live;
  }

  /** Checks held. */
  get checks(): number {
    return this.firsts.size;
  }

  has(checkId: string): boolean {
    return this.firsts.has(checkId);
  }

  /** Adds a result to its (check, vantage, hour bucket): a sample, and a failure or its phases' ms. */
  add(result: ProbeResult): void {
    const bucket = Math.floor(result.round / LATENCY_BUCKET_MS);
    const entry = this.entryOf(result.checkId, this.vantageOf(result.vantage), bucket);
    addAt(this.samples, entry, 1);
    if (!result.ok) {
      addAt(this.failures, entry, 1);
      return;
    }
    const latency = latencyOf(result);
    let i = entry * PHASES;
    for (const phase of LATENCY_PHASES) addAt(this.sums, i++, latency[phase]);
  }

  /** Drops a check's entries: O(its entries). */
  forget(checkId: string): void {
    const first = this.firsts.get(checkId);
    if (first === undefined) return;
    this.firsts.delete(checkId);
    for (let e = first; e !== NONE; e = at(this.next, e)) this.live--;
  }

  /** Adds a check's entries held by `other` (the sums of a merge Redis refused) to this one's; answers how many. */
  addFrom(other: LatencySums, checkId: string): number {
    let added = 0;
    for (let e = other.firsts.get(checkId) ?? NONE; e !== NONE; e = at(other.next, e), added++) {
      const vantage = this.vantageOf(other.vantageNames[at(other.vantage, e)] ?? '');
      const entry = this.entryOf(checkId, vantage, at(other.bucket, e));
      addAt(this.samples, entry, at(other.samples, e));
      addAt(this.failures, entry, at(other.failures, e));
      for (let p = 0; p < PHASES; p++) addAt(this.sums, entry * PHASES + p, at(other.sums, e * PHASES + p));
    }
    return added;
  }

  /**
   * Each check's entries as core's merge script lines, a check at a time (LatencyRollups.mergeLines
   * reads them as it sends), their means over the successful samples.
   */
  *lines(): Generator<LatencyLines> {
    // One aggregate object, refilled per entry: the lines are all a flush allocates.
    const aggregate: LineAggregate = {
      vantage: '',
      bucket: 0,
      samples: 0,
      failures: 0,
      means: { total: 0, dns: 0, connect: 0, tls: 0, firstByte: 0 },
    };
    for (const [checkId, first] of this.firsts) {
      let lines = '';
      for (let e = first; e !== NONE; e = at(this.next, e)) lines += latencyLine(this.fill(aggregate, e));
      yield [checkId, lines];
    }
  }

  private fill(aggregate: LineAggregate, entry: number): LineAggregate {
    aggregate.vantage = this.vantageNames[at(this.vantage, entry)] ?? '';
    aggregate.bucket = at(this.bucket, entry);
    aggregate.samples = at(this.samples, entry);
    aggregate.failures = at(this.failures, entry);
    const ok = aggregate.samples - aggregate.failures;
    let i = entry * PHASES;
    for (const phase of LATENCY_PHASES) aggregate.means[phase] = ok > 0 ? at(this.sums, i++) / ok : 0;
    return aggregate;
  }

  /** The entry of (check, vantage, bucket), appended to the check's chain when new. */
  private entryOf(checkId: string, vantage: number, bucket: number): number {
    const first = this.firsts.get(checkId);
    let last = NONE;
    for (let e = first ?? NONE; e !== NONE; e = at(this.next, e)) {
      if (this.vantage[e] === vantage && this.bucket[e] === bucket) return e;
      last = e;
    }
    if (this.length === this.next.length) this.grow();
    const entry = this.length++;
    this.live++;
    this.vantage[entry] = vantage;
    this.bucket[entry] = bucket;
    this.next[entry] = NONE;
    if (last === NONE) this.firsts.set(checkId, entry);
    else this.next[last] = entry;
    return entry;
  }

  private vantageOf(name: string): number {
    const known = this.vantageIndex.get(name);
    if (known !== undefined) return known;
    if (this.vantageNames.length === MAX_VANTAGES) throw new RangeError(`more than ${MAX_VANTAGES} vantages`);
    this.vantageIndex.set(name, this.vantageNames.length);
    return this.vantageNames.push(name) - 1;
  }

  /** Doubles every column; what lies past `length` is zero, as a new entry starts. */
  private grow(): void {
    const size = this.next.length * 2;
    this.samples = grown(this.samples, new Uint32Array(size));
    this.failures = grown(this.failures, new Uint32Array(size));
    this.sums = grown(this.sums, new Float64Array(size * PHASES));
    this.vantage = grown(this.vantage, new Uint16Array(size));
    this.bucket = grown(this.bucket, new Int32Array(size));
    this.next = grown(this.next, new Int32Array(size));
  }
}

type Column = Uint32Array | Float64Array | Uint16Array | Int32Array;

/** A column's value at an index below `length` (noUncheckedIndexedAccess cannot know it is there). */
function at(column: Column, i: number): number {
  return column[i] ?? 0;
}

function addAt(column: Column, i: number, value: number): void {
  column[i] = at(column, i) + value;
}

function grown<C extends Column>(from: C, to: C): C {
  to.set(from);
  return to;
}
