import type { Redis } from 'ioredis';
import type { RedisKeys } from '../runtime/keys.js';

/**
 * Latency rollups: per check one Redis string (`{id}:latency`) of fixed slots, merged by the
 * notifiers (lua/merge-latency-rollups.lua) and read by the console and API for 24 h and 7 d charts.
 *
 *   bytes 0–11   version (4), vantages V, the day head (the newest hour bucket merged: epoch
 *                ms ÷ bucket ms, u32) and its six-hour bucket (u32), the vantage names' length (u16)
 *   then         the vantage names, newline-separated: vantage v (from 0) owns block v
 *   then V × 384 per vantage a block: 24 hour slots (24 h), then 24 six-hour slots: the 7 d
 *                tier's buckets before the four the day tier covers, each holding only the hours
 *                that left the day tier (a 7 d bucket reads its slot plus the day tier's part)
 *
 * A slot (8 bytes): samples and failures (12 bits each; past 4,095 both are halved, keeping the
 * ratio), then the mean total, DNS, connect, TLS and first-byte ms over the successful samples, a
 * byte each on a log scale: 0 is 0 ms (or not measured), code c is 0.1 ms × 1.0538^(c − 1) up to
 * 60 s, so a mean reads within ±2.6 % (one code) of what was merged. Bucket b of a tier sits in slot
 * b mod n; the day slots hold the buckets (head − 24, head], the week slots the six-hour buckets
 * (week − 28, week − 4], the rest zeroed as the heads move. With 3 vantages a key holds 1,164 bytes
 * and names: 1,280 B and the key's own in Redis's allocator (MEMORY USAGE ~1.35 KB; version 3,
 * whose day tier had 48 half-hour slots, was 1,864 B, version 2 2,120 B, version 1 2,632 B). A key
 * of versions 1–3 is read as it is (its half hours summed in pairs into hours) and rewritten as
 * version 4 by its next merge.
 */
export const LATENCY_TIERS = {
  /** 24 hour buckets: 24 h at hourly points, 1 h's phases from the newest one or two. */
  day: { bucketMs: 3_600_000, buckets: 24 },
  /** 28 six-hour buckets: 7 d at four points a day. */
  week: { bucketMs: 21_600_000, buckets: 28 },
} as const;
export type LatencyTier = keyof typeof LATENCY_TIERS;

/** The bucket notifiers aggregate by: the day tier's; a week bucket is six of them. */
export const LATENCY_BUCKET_MS = LATENCY_TIERS.day.bucketMs;
/** A rollup outlives its last merge by its longest tier, and a day. */
export const LATENCY_ROLLUP_TTL_MS = 8 * 86_400_000;

const HEADER = 12;
const SLOT = 8;
/** Week slots (as in version 3): the 7 d tier's buckets less the four the day tier covers. */
const WEEK_SLOTS =
  LATENCY_TIERS.week.buckets - LATENCY_TIERS.day.buckets / (LATENCY_TIERS.week.bucketMs / LATENCY_TIERS.day.bucketMs);
const LN_MIN = Math.log(0.1);
const LN_R = Math.log(600_000) / 254;

interface StoredTier {
  /** Offset of the tier's first slot in a vantage's block. */
  at: number;
  bucketMs: number;
  buckets: number;
  /** How many buckets before the head the tier's newest is (the week since version 3: the day tier's four). */
  lag?: number;
}

interface Layout {
  /** Bytes a vantage. */
  block: number;
  tiers: Record<LatencyTier, StoredTier>;
  /** The week tier holds only what the day tier no longer does: a week bucket adds the day tier's part. */
  weekAfterDay?: true;
}

/** The day tier of versions 1–3: 48 half-hour slots, read two a bucket. */
const HALF_HOURS: StoredTier = { at: 0, bucketMs: 1_800_000, buckets: 48 };

/** Each layout version's block, by tier; the reader takes all, the merge script writes the last. */
const LAYOUTS: Record<number, Layout> = {
  1: {
    block: (48 + 56) * SLOT,
    tiers: { day: HALF_HOURS, week: { at: 48 * SLOT, bucketMs: 10_800_000, buckets: 56 } },
  },
  2: {
    block: (48 + LATENCY_TIERS.week.buckets) * SLOT,
    tiers: { day: HALF_HOURS, week: { at: 48 * SLOT, ...LATENCY_TIERS.week } },
  },
  3: {
    block: (48 + 24) * SLOT,
    tiers: {
      day: HALF_HOURS,
      week: { at: 48 * SLOT, bucketMs: LATENCY_TIERS.week.bucketMs, buckets: 24, lag: 4 },
    },
    weekAfterDay: true,
  },
  4: {
    block: (LATENCY_TIERS.day.buckets + WEEK_SLOTS) * SLOT,
    tiers: {
      day: { at: 0, ...LATENCY_TIERS.day },
      week: {
        at: LATENCY_TIERS.day.buckets * SLOT,
        bucketMs: LATENCY_TIERS.week.bucketMs,
        buckets: WEEK_SLOTS,
        lag: LATENCY_TIERS.week.buckets - WEEK_SLOTS,
      },
    },
    weekAfterDay: true,
  },
};

export const LATENCY_PHASES = ['total', 'dns', 'connect', 'tls', 'firstByte'] as const;
export type LatencyPhase = (typeof LATENCY_PHASES)[number];

/** One (check, vantage, hour bucket) as a notifier holds it before a merge. */
export interface LatencyAggregate {
  checkId: string;
  vantage: string;
  /** Epoch ms ÷ LATENCY_BUCKET_MS. */
  bucket: number;
  samples: number;
  failures: number;
  /** Mean ms of each phase over the successful samples (an absent phase counts 0). */
  means: Record<LatencyPhase, number>;
}

/** One bucket of one vantage, read back. */
export interface LatencyBucket {
  /** Epoch ms at which the bucket starts. */
  start: number;
  samples: number;
  failures: number;
  /** Mean ms per phase over the successful samples; null when none succeeded or the phase took 0. */
  means: Record<LatencyPhase, number | null>;
}

export interface LatencyRollup {
  /** Per vantage (in the order the key met them), its buckets in a tier, oldest first, empty ones left out. */
  vantages: { vantage: string; buckets: LatencyBucket[] }[];
}

/** A latency as its one-byte code. */
export function encodeLatency(ms: number): number {
  if (!(ms >= 0.05)) return 0;
  return Math.min(255, Math.max(1, 1 + Math.floor((Math.log(ms) - LN_MIN) / LN_R + 0.5)));
}

/** A code's latency in ms (the middle of what it stands for). */
export function decodeLatency(code: number): number {
  return code === 0 ? 0 : Math.exp(LN_MIN + (code - 1) * LN_R);
}

/** Stored slots that a read bucket sums: `per` of them a bucket, those of (newest − n, newest] held. */
interface Source {
  at: number;
  buckets: number;
  per: number;
  newest: number;
}

/**
 * Where a tier's buckets are read from: its own slots (a day bucket two half-hour slots before
 * version 4), and for a week since version 3 the day tier's too.
 */
function sourcesOf(raw: Buffer, layout: Layout, tier: LatencyTier): Source[] {
  const dayHead = raw.readUInt32BE(2);
  const day = layout.tiers.day;
  const perDay = LATENCY_TIERS.day.bucketMs / day.bucketMs;
  if (tier === 'day') return [{ at: day.at, buckets: day.buckets, per: perDay, newest: dayHead }];
  const week = layout.tiers.week;
  /** Stored buckets a bucket read sums: 1, or 2 for a version 1 week. */
  const per = LATENCY_TIERS.week.bucketMs / week.bucketMs;
  const own = { at: week.at, buckets: week.buckets, per, newest: raw.readUInt32BE(6) - (week.lag ?? 0) };
  if (!layout.weekAfterDay) return [own];
  return [own, { at: day.at, buckets: day.buckets, per: LATENCY_TIERS.week.bucketMs / day.bucketMs, newest: dayHead }];
}

/**
 * A rollup's buckets of one tier that lie within `[from, to]` (epoch ms), per vantage. A key of
 * versions 1–3 (not merged since the upgrade) reads its day tier two half-hour slots an hour, a
 * version 1 key its week tier two three-hour slots a bucket; a week bucket since version 3 is its
 * week slot and the day tier's part of it; a key whose layout it does not know, or whose header and
 * length disagree with it, reads as empty.
 */
export function decodeLatencyRollup(
  raw: Buffer | null,
  tier: LatencyTier,
  range: { from: number; to: number },
): LatencyRollup {
  const layout = raw !== null && raw.length >= HEADER ? LAYOUTS[raw[0] ?? 0] : undefined;
  if (raw === null || layout === undefined || !whole(raw, layout)) return { vantages: [] };
  const { bucketMs } = LATENCY_TIERS[tier];
  const sources = sourcesOf(raw, layout, tier);
  const namesLength = raw.readUInt16BE(10);
  const names = raw
    .subarray(HEADER, HEADER + namesLength)
    .toString('utf8')
    .split('\n')
    .filter(Boolean);
  const first = Math.max(
    Math.min(...sources.map((s) => Math.floor((s.newest - s.buckets + 1) / s.per))),
    Math.floor(range.from / bucketMs),
  );
  const last = Math.min(Math.max(...sources.map((s) => Math.floor(s.newest / s.per))), Math.floor(range.to / bucketMs));
  const vantages = names.map((vantage, v) => {
    const block = HEADER + namesLength + v * layout.block;
    const out: LatencyBucket[] = [];
    for (let bucket = first; bucket <= last; bucket++) {
      const sum = emptySlot();
      for (const source of sources) addSource(sum, { raw, block }, source, bucket);
      if (sum.samples === 0) continue;
      const ok = sum.samples - sum.failures;
      const means = Object.fromEntries(
        LATENCY_PHASES.map((phase) => {
          const mean = ok > 0 ? sum.okMs[phase] / ok : 0;
          return [phase, mean > 0 ? round2(mean) : null];
        }),
      ) as Record<LatencyPhase, number | null>;
      out.push({ start: bucket * bucketMs, samples: sum.samples, failures: sum.failures, means });
    }
    return { vantage, buckets: out };
  });
  return { vantages };
}

/** Adds what a source holds of `bucket` to the sum: its stored slots of the bucket still held (in the vantage's `block`). */
function addSource(sum: SlotSum, { raw, block }: { raw: Buffer; block: number }, source: Source, bucket: number): void {
  const { per, buckets, newest } = source;
  for (let s = Math.max(bucket * per, newest - buckets + 1); s < (bucket + 1) * per && s <= newest; s++) {
    const at = block + source.at + (((s % buckets) + buckets) % buckets) * SLOT;
    if (at + SLOT <= raw.length) addSlot(sum, readSlot(raw, at));
  }
}

/**
 * Whether a key's header and length agree with its layout: the week head is the day head's bucket
 * and a block a vantage follows the names. A notifier of the release before (it reads no version)
 * merging into a version 2 key breaks both; the next merge replaces such a key.
 */
function whole(raw: Buffer, layout: Layout): boolean {
  const perWeek = layout.tiers.week.bucketMs / layout.tiers.day.bucketMs;
  const names = raw.readUInt16BE(10);
  return (
    raw.readUInt32BE(6) === Math.floor(raw.readUInt32BE(2) / perWeek) &&
    raw.length === HEADER + names + (raw[1] ?? 0) * layout.block
  );
}

/** A slot's counts and, per phase, its mean × its successful samples (ms). */
interface SlotSum {
  samples: number;
  failures: number;
  okMs: Record<LatencyPhase, number>;
}

function emptySlot(): SlotSum {
  return { samples: 0, failures: 0, okMs: { total: 0, dns: 0, connect: 0, tls: 0, firstByte: 0 } };
}

function readSlot(raw: Buffer, at: number): SlotSum {
  const counts = raw.readUIntBE(at, 3);
  const samples = Math.floor(counts / 4096);
  const failures = counts % 4096;
  const ok = Math.max(0, samples - failures);
  const okMs = Object.fromEntries(
    LATENCY_PHASES.map((phase, i) => [phase, ok * decodeLatency(raw[at + 3 + i] ?? 0)]),
  ) as Record<LatencyPhase, number>;
  return { samples, failures, okMs };
}

function addSlot(sum: SlotSum, slot: SlotSum): void {
  sum.samples += slot.samples;
  sum.failures += slot.failures;
  for (const phase of LATENCY_PHASES) sum.okMs[phase] += slot.okMs[phase];
}

/** Reads one check's rollup: its buckets of `tier` within the range. */
export async function readLatencyRollup(
  ctx: { redis: Redis; keys: RedisKeys },
  checkId: string,
  options: { tier: LatencyTier; from: number; to: number },
): Promise<LatencyRollup> {
  const raw = await ctx.redis.getBuffer(ctx.keys.latencyRollup(checkId));
  return decodeLatencyRollup(raw, options.tier, options);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
