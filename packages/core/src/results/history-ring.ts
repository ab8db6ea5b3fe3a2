import { PROBE_ERRORS, type ProbeResult } from '../probes/probe-result.js';

/**
 * History as a ring of fixed 9-byte entries in one Redis string per check (`{id}:ring`), each written
 * in place with one SETRANGE: the default 226 entries take 2,034 bytes, inside jemalloc's 2,048
 * class (MEMORY USAGE ~2.1 KB with the key's own; 227 would take the 2,560 one). Entry `e` (the e-th recorded, from 0) sits at byte (e mod cap) × 9; the check's latest hash
 * holds how many were written, the cap they were written with, the base their rounds count from and
 * the layout (`~w`, `written|cap|base|72`). Rings from before are read as they are and written in
 * their own layout until they wrap, when the record script converts them: `…|70`, 70-bit entries (the
 * same head in 39 bits, then the outcome, written with BITFIELD: 350 in 3,063 bytes, but two BITFIELD
 * subcommands cost Redis ~1.2 µs a result more than a SETRANGE), and none, 10-byte entries. A late
 * result is a duplicate when the ring's newest entries hold its round already.
 *
 *   bytes 0–4   written by the record script: (round − base) × 128 + vantage index × 8 + message slot
 *               (round − base in ms, 32 bits: the script moves the base on past ~49.7 days, keeping
 *               47.7; vantage index 1–15, `<vantage>:i`; message slot 0 none, 1–7 `~m<slot>`)
 *   bytes 5–8   packed here (31 bits, the top one 0): ok (1 bit), slow (1), error class (5: index in PROBE_ERRORS + 1, 0 none),
 *               HTTP status (9: status − 99 for 100–610, 0 none), total latency (12: ms exact to
 *               1,023, then 9 significant bits, ≤ 0.2% off, to 65.5 s) and start lateness (3: from
 *               0, 25, 50, 100, 250, 500, 1,000 or 2,500 ms on)
 *
 * Rounds stay exact to the ms: they are not on a coarser grid (a heartbeat's round is its ping's
 * time, a one-off probe's its own), and a late result's duplicate is found by its exact round.
 *
 * Messages are kept apart and deduplicated: a vantage failing with the message it failed with last
 * reuses its slot, so a check failing for hours costs one message, not one an entry. Seven slots
 * are reused in turn; a slot holds `<entry number>|<text>`, so an entry older than its slot's
 * rewrite reads without a message rather than with another's.
 */
export const RING_ENTRY_BITS = 72;
/** The ring layout `~w` names (its fourth part); `70`: 70-bit entries, none: 10-byte entries, from before. */
export const RING_LAYOUT = '72';
/** A ring's entry layout: today's, or one from before. */
export type RingForm = '72' | '70' | 'v1';
export const RING_MESSAGE_SLOTS = 7;
/** Vantages a check's ring has room for (indexes 1–15); results of more go to the list as JSON. */
export const MAX_VANTAGE_INDEX = 15;
/** Characters of a message kept in history (the vantage's latest result keeps it whole). */
export const MESSAGE_CHARS = 120;
/** Bytes of a ring of `cap` entries (today's layout). */
export function ringBytes(cap: number): number {
  return (cap * RING_ENTRY_BITS) / 8;
}

const STATUS_MIN = 100;
const STATUS_MAX = 610;

/**
 * A message as history keeps it: at most MESSAGE_CHARS characters (code points); '' for none. Cut
 * without an array of the message's characters: a failing result's message can be 2,000 long.
 */
export function historyMessage(result: ProbeResult): string {
  const { message } = result;
  if (message === undefined) return '';
  // No more UTF-16 units than the cap means no more characters either.
  if (message.length <= MESSAGE_CHARS) return message;
  let end = 0;
  let kept = 0;
  for (const char of message) {
    if (kept === MESSAGE_CHARS) break;
    end += char.length;
    kept += 1;
  }
  return message.slice(0, end);
}

/**
 * Bits 39–69 of a ring entry as a number: what the record script takes (as decimal text, so its
 * argument needs no Buffer) and writes with BITFIELD; it adds round, vantage and message slot.
 */
export function ringOutcome(result: ProbeResult): number {
  const errorIndex = result.error === undefined ? 0 : PROBE_ERRORS.indexOf(result.error) + 1;
  const status =
    result.status !== undefined && result.status >= STATUS_MIN && result.status <= STATUS_MAX
      ? result.status - STATUS_MIN + 1
      : 0;
  // ok(1) slow(1) error(5) status(9) total(12) lateness(3): 31 bits.
  let packed = result.ok ? 1 : 0;
  packed = packed * 2 + (result.slow ? 1 : 0);
  packed = packed * 32 + errorIndex;
  packed = packed * 512 + status;
  packed = packed * 4096 + ringLatencyCode(clamp(result.timings.total));
  return packed * 8 + latenessCode(clamp(result.startedAt - result.round));
}

/** A latency (ms) as 12 bits: exact to 1,023 ms, then 9 significant bits, saturating at 65.5 s. */
export function ringLatencyCode(ms: number): number {
  if (ms < 1024) return ms;
  if (ms >= 65_536) return 4095;
  const e = Math.floor(Math.log2(ms)) - 9;
  return 512 * e + Math.floor(ms / 2 ** e);
}

/** The latency a code stands for: the least of the ms it covers. */
export function ringLatency(code: number): number {
  if (code < 1024) return code;
  const e = Math.floor(code / 512) - 1;
  return (code - 512 * e) * 2 ** e;
}

/** Start lateness (ms) a 3-bit code stands for: at least this much (record-results.lua's LATE). */
const LATENESS_MS = [0, 25, 50, 100, 250, 500, 1_000, 2_500];

function latenessCode(ms: number): number {
  let code = 0;
  for (let i = 1; i < LATENESS_MS.length; i++) if (ms >= (LATENESS_MS[i] ?? Infinity)) code = i;
  return code;
}

/** What the reader needs of the latest hash to decode a ring. */
export interface RingInfo {
  base: number;
  vantages: ReadonlyMap<number, string>;
  /** Slot → the entry number it was written at and its text. */
  messages: ReadonlyMap<number, { from: number; text: string }>;
}

/** A ring's entry, either layout: its head, then ok, slow, error and status (16 bits), latency and lateness in ms. */
export interface RingFields {
  head: number;
  flags: number;
  total: number;
  lateness: number;
}

/** Entry `slot` of a ring of 9-byte entries (today's): a 40-bit head, then the 31-bit outcome in 32. */
export function ringFields(ring: Buffer, slot: number): RingFields {
  const at = slot * 9;
  if (ring.length < at + 9) return { head: 0, flags: 0, total: 0, lateness: 0 };
  return fieldsOf(ring.readUIntBE(at, 5), ring.readUInt32BE(at + 5) % 2 ** 31);
}

/** Entry `slot` of a ring of 70-bit entries, from before: a 39-bit head, then the 31-bit outcome. */
export function ringFields70(ring: Buffer, slot: number): RingFields {
  const bit = slot * 70;
  return fieldsOf(bitsAt(ring, bit, 39), bitsAt(ring, bit + 39, 31));
}

function fieldsOf(head: number, outcome: number): RingFields {
  return {
    head,
    flags: Math.floor(outcome / 32_768),
    total: ringLatency(Math.floor(outcome / 8) % 4096),
    lateness: LATENESS_MS[outcome % 8] ?? 0,
  };
}

/** Entry `slot` of a ring of the 10-byte entries before: 40-bit head, flags 16, latency ms 16, lateness in 20 ms 8. */
export function ringFieldsV1(ring: Buffer, slot: number): RingFields {
  const at = slot * 10;
  if (ring.length < at + 10) return { head: 0, flags: 0, total: 0, lateness: 0 };
  const outcome = ring.readUIntBE(at + 5, 5);
  return {
    head: ring.readUIntBE(at, 5),
    flags: Math.floor(outcome / 2 ** 24),
    total: Math.floor(outcome / 256) % 65_536,
    lateness: (outcome % 256) * 20,
  };
}

/** `width` (≤ 39) bits from bit `bit`, big-endian: in 6 bytes at most, exact as a number. */
function bitsAt(buf: Buffer, bit: number, width: number): number {
  const first = bit >> 3;
  const last = (bit + width - 1) >> 3;
  let value = 0;
  for (let i = first; i <= last; i++) value = value * 256 + (buf[i] ?? 0);
  return Math.floor(value / 2 ** ((last + 1) * 8 - bit - width)) % 2 ** width;
}

/** Entry number `e` of a ring as a ProbeResult; null when empty or its vantage is unknown. */
export function decodeRingEntry(checkId: string, fields: RingFields, e: number, ring: RingInfo): ProbeResult | null {
  const { head, total } = fields;
  if (head === 0) return null;
  const slot = head % 8;
  const vantage = ring.vantages.get(Math.floor(head / 8) % 16);
  if (vantage === undefined) return null;
  const round = ring.base + Math.floor(head / 128);
  let rest = fields.flags;
  const status = rest % 512;
  rest = Math.floor(rest / 512);
  const error = PROBE_ERRORS[(rest % 32) - 1];
  rest = Math.floor(rest / 32);
  const slow = rest % 2 === 1;
  const ok = Math.floor(rest / 2) % 2 === 1;
  const message = slot === 0 ? undefined : ring.messages.get(slot);
  const startedAt = round + fields.lateness;
  return {
    checkId,
    vantage,
    round,
    startedAt,
    finishedAt: startedAt + total,
    ok,
    ...(error !== undefined && { error }),
    ...(message !== undefined && message.from <= e && { message: message.text }),
    ...(status !== 0 && { status: status + STATUS_MIN - 1 }),
    timings: { total },
    ...(slow && { slow: true }),
  };
}

const FIELDS_OF: Record<RingForm, (ring: Buffer, slot: number) => RingFields> = {
  '72': ringFields,
  '70': ringFields70,
  v1: ringFieldsV1,
};

/**
 * The ring's entries newest first, at most `limit`: `written` entries were written in all, the
 * newest `min(written, cap)` are still there, in layout `form`.
 */
export function readRing(
  checkId: string,
  ring: Buffer,
  info: RingInfo & { written: number; cap: number; form: RingForm },
  limit: number,
): ProbeResult[] {
  const out: ProbeResult[] = [];
  const fieldsOf = FIELDS_OF[info.form];
  const oldest = Math.max(0, info.written - info.cap);
  for (let e = info.written - 1; e >= oldest && out.length < limit; e--) {
    const result = decodeRingEntry(checkId, fieldsOf(ring, e % info.cap), e, info);
    if (result !== null) out.push(result);
  }
  return out;
}

function clamp(value: number): number {
  return Math.max(0, Math.round(value));
}
