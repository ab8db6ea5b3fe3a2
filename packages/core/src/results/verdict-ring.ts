/**
 * Verdict counts as rings (one Redis string a check for days, one for hours), written by the
 * evaluator's apply-verdicts.lua with BITFIELD: a u32, the newest period counted (days or hours since
 * the epoch), then a slot per period kept (the period modulo the slots), each three unsigned counters
 * (ok, degraded, fail) of `width` bits, big-endian as BITFIELD lays them out. A period older than
 * the newest by the slots or more is gone. 91 days in 585 bytes and 26 hours in 121, where hashes of a
 * field a period took ~1.6 KB and ~0.5 KB (`pnpm bench footprint`).
 *
 * A round is counted in the hour ring only; bit 31 of its header (`HOUR_RING_FOLDED`) says that the
 * day ring holds every hour but the hour ring's newest, which the script adds to the day ring when a
 * newer hour begins (a BITFIELD a round, not two). A day's counts are its day ring slot plus, for the
 * newest hour's day, that hour's (`readDayCounts`). An hour ring without the bit (written before)
 * holds hours the day ring counted too.
 *
 * The rounds of a check's latest hour are not in the rings yet: the script counts them in the state
 * hash (`HOUR_COUNTS_FIELD`, `<hour>|<counts packed>`, in the HSET a round makes anyway) and
 * puts them in the rings when the first round of a later hour comes (a BITFIELD an hour, not a
 * round). Every reader adds them to their hour and day (`readHourCounts`, `readDayCounts`), so the
 * figures are the same before and after they are put in, a paused check's last hour included.
 */

export interface VerdictRingLayout {
  periodMs: number;
  slots: number;
  /** Bits of each counter: a round a second (the shortest interval) for a whole period fits. */
  width: number;
}

/** Keep in step with apply-verdicts.lua (its `count` calls). */
export const VERDICT_RINGS = {
  day: { periodMs: 86_400_000, slots: 91, width: 17 },
  hour: { periodMs: 3_600_000, slots: 26, width: 12 },
} as const satisfies Record<string, VerdictRingLayout>;

export interface VerdictCounts {
  ok: number;
  degraded: number;
  fail: number;
}

const HEADER_BITS = 32;
/** Bit 31 of the hour ring's header: its newest hour is not yet in the day ring. */
export const HOUR_RING_FOLDED = 0x80000000;

/** The state hash's field of the counts of the latest hour a round was applied in. Keep in step with apply-verdicts.lua. */
export const HOUR_COUNTS_FIELD = 'hourCounts';

/** An hour's counts not yet in the rings: the state's `HOUR_COUNTS_FIELD`. */
export interface OpenHourCounts {
  /** Hours since the epoch. */
  hour: number;
  counts: VerdictCounts;
}

/** Weights of the counts packed in `HOUR_COUNTS_FIELD` (an hour has at most 3,600 rounds). */
export const HOUR_COUNT_WEIGHTS = { ok: 1, degraded: 2 ** 16, fail: 2 ** 32 } as const;

/**
 * The state's `HOUR_COUNTS_FIELD`, `<hour>|<counts>`: hours since the epoch, and ok + 2^16 × degraded
 * + 2^32 × fail (one number a round adds to). Null, absent or not of its form: none, as before the field.
 */
export function parseHourCounts(field: string | null | undefined): OpenHourCounts | null {
  const match = field ? /^(\d+)\|(\d+)$/.exec(field) : null;
  if (!match) return null;
  const packed = Number(match[2]);
  return {
    hour: Number(match[1]),
    counts: {
      ok: packed % HOUR_COUNT_WEIGHTS.degraded,
      degraded: Math.floor(packed / HOUR_COUNT_WEIGHTS.degraded) % 2 ** 16,
      fail: Math.floor(packed / HOUR_COUNT_WEIGHTS.fail),
    },
  };
}

/** Bytes a ring's string takes once written (it is made at full length). */
export function verdictRingBytes(layout: VerdictRingLayout): number {
  return Math.ceil((HEADER_BITS + layout.slots * 3 * layout.width) / 8);
}

/** The counts of `period` in a ring's string (null or short: none). */
export function readVerdictRing(ring: Buffer | null, layout: VerdictRingLayout, period: number): VerdictCounts {
  const none = { ok: 0, degraded: 0, fail: 0 };
  if (ring === null || ring.length < 4) return none;
  const newest = ring.readUInt32BE(0) % HOUR_RING_FOLDED;
  if (period > newest || period <= newest - layout.slots) return none;
  const base = HEADER_BITS + (period % layout.slots) * 3 * layout.width;
  return {
    ok: bits(ring, base, layout.width),
    degraded: bits(ring, base + layout.width, layout.width),
    fail: bits(ring, base + 2 * layout.width, layout.width),
  };
}

/** A UTC hour's counts: its slot of the hour ring, plus the state's when they are of that hour. */
export function readHourCounts(hourRing: Buffer | null, hour: number, open: OpenHourCounts | null): VerdictCounts {
  const counts = readVerdictRing(hourRing, VERDICT_RINGS.hour, hour);
  return open?.hour === hour ? addVerdictCounts(counts, open.counts) : counts;
}

/**
 * A UTC day's counts: its slot of the day ring, plus the hour ring's newest hour when that hour is
 * of the day and not yet added to the day ring, plus the state's hour when of the day (see the
 * header comment).
 */
export function readDayCounts(
  dayRing: Buffer | null,
  hourRing: Buffer | null,
  day: number,
  open: OpenHourCounts | null = null,
): VerdictCounts {
  let counts = readVerdictRing(dayRing, VERDICT_RINGS.day, day);
  if (open && dayOfHour(open.hour) === day) counts = addVerdictCounts(counts, open.counts);
  if (hourRing === null || hourRing.length < 4) return counts;
  const head = hourRing.readUInt32BE(0);
  if (head < HOUR_RING_FOLDED) return counts;
  const hour = head - HOUR_RING_FOLDED;
  if (dayOfHour(hour) !== day) return counts;
  return addVerdictCounts(counts, readVerdictRing(hourRing, VERDICT_RINGS.hour, hour));
}

function dayOfHour(hour: number): number {
  return Math.floor((hour * VERDICT_RINGS.hour.periodMs) / VERDICT_RINGS.day.periodMs);
}

function addVerdictCounts(a: VerdictCounts, b: VerdictCounts): VerdictCounts {
  return { ok: a.ok + b.ok, degraded: a.degraded + b.degraded, fail: a.fail + b.fail };
}

/** An unsigned integer of `width` bits at bit `offset`, most significant bit first (BITFIELD's order). */
function bits(buffer: Buffer, offset: number, width: number): number {
  let value = 0;
  for (let i = offset; i < offset + width; i++) {
    const byte = buffer[i >> 3] ?? 0;
    value = value * 2 + ((byte >> (7 - (i & 7))) & 1);
  }
  return value;
}
