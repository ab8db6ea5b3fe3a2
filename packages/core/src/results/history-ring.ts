import { PROBE_ERRORS, type ProbeResult } from '../probes/probe-result.js';

/**
 * History as a ring of fixed 10-byte entries in one Redis string per check (`{id}:ring`), written in
 * place with SETRANGE: a list of packed entries cost ~21 B an entry, this costs 10. Entry `e` (the
 * e-th recorded, from 0) sits at byte (e mod cap) × 10; the check's latest hash holds how many were
 * written (`~w`), and the cap they were written with and the base their rounds count from (`~r`,
 * `cap|base`). A late result is a duplicate when the ring's newest entries hold its round already.
 *
 *   bytes 0–4  written by the record script: (round − base) × 128 + vantage index × 8 + message slot
 *              (round − base in ms, 33 bits: the script moves the base on past ~99 days; vantage
 *              index 1–15, `<vantage>:i`; message slot 0 none, 1–7 `~m<slot>`)
 *   bytes 5–9  packed here: ok (1 bit), slow (1), error class (5: index in PROBE_ERRORS + 1, 0 none),
 *              HTTP status (9: status − 99 for 100–610, 0 none), total latency (16: ms, saturating
 *              at 65.5 s) and start lateness (8: startedAt − round in 20 ms units, saturating at 5.1 s)
 *
 * Messages are kept apart and deduplicated: a vantage failing with the message it failed with last
 * reuses its slot, so a check failing for hours costs one message, not one an entry. Seven slots
 * are reused in turn; a slot holds `<entry number>|<text>`, so an entry older than its slot's
 * rewrite reads without a message rather than with another's.
 */
export const RING_ENTRY_BYTES = 10;
export const RING_MESSAGE_SLOTS = 7;
/** Vantages a check's ring has room for (indexes 1–15); results of more go to the list as JSON. */
export const MAX_VANTAGE_INDEX = 15;
/** Characters of a message kept in history (the vantage's latest result keeps it whole). */
export const MESSAGE_CHARS = 120;

const UINT16_MAX = 0xffff;
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

/** Bytes 5–9 of a ring entry: the result's outcome; the record script adds round, vantage and message. */
export function encodeRingOutcome(result: ProbeResult): Buffer {
  const out = Buffer.alloc(5);
  out.writeUIntBE(ringOutcome(result), 0, 5);
  return out;
}

/**
 * The same 40 bits as a number: what the record script takes (as decimal text, so its argument
 * needs no Buffer) and writes big-endian as bytes 5–9.
 */
export function ringOutcome(result: ProbeResult): number {
  const errorIndex = result.error === undefined ? 0 : PROBE_ERRORS.indexOf(result.error) + 1;
  const status =
    result.status !== undefined && result.status >= STATUS_MIN && result.status <= STATUS_MAX
      ? result.status - STATUS_MIN + 1
      : 0;
  const total = clamp(result.timings.total, UINT16_MAX);
  const lateness = clamp((result.startedAt - result.round) / 20, 0xff);
  // ok(1) slow(1) error(5) status(9) total(16) lateness(8): 40 bits, as one number (< 2^53).
  let packed = result.ok ? 1 : 0;
  packed = packed * 2 + (result.slow ? 1 : 0);
  packed = packed * 32 + errorIndex;
  packed = packed * 512 + status;
  packed = packed * 65_536 + total;
  return packed * 256 + lateness;
}

/** What the reader needs of the latest hash to decode a ring. */
export interface RingInfo {
  base: number;
  vantages: ReadonlyMap<number, string>;
  /** Slot → the entry number it was written at and its text. */
  messages: ReadonlyMap<number, { from: number; text: string }>;
}

/** Entry number `e` of a ring as a ProbeResult; null when empty or its vantage is unknown. */
export function decodeRingEntry(checkId: string, entry: Buffer, e: number, ring: RingInfo): ProbeResult | null {
  if (entry.length < RING_ENTRY_BYTES) return null;
  const head = entry.readUIntBE(0, 5);
  if (head === 0) return null;
  const slot = head % 8;
  const vantage = ring.vantages.get(Math.floor(head / 8) % 16);
  if (vantage === undefined) return null;
  const round = ring.base + Math.floor(head / 128);
  let rest = entry.readUIntBE(5, 5);
  const lateness = (rest % 256) * 20;
  rest = Math.floor(rest / 256);
  const total = rest % 65_536;
  rest = Math.floor(rest / 65_536);
  const status = rest % 512;
  rest = Math.floor(rest / 512);
  const error = PROBE_ERRORS[(rest % 32) - 1];
  rest = Math.floor(rest / 32);
  const slow = rest % 2 === 1;
  const ok = Math.floor(rest / 2) % 2 === 1;
  const message = slot === 0 ? undefined : ring.messages.get(slot);
  const startedAt = round + lateness;
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

/**
 * The ring's entries newest first, at most `limit`: `written` entries were written in all, the
 * newest `min(written, cap)` are still there.
 */
export function readRing(
  checkId: string,
  ring: Buffer,
  info: RingInfo & { written: number; cap: number },
  limit: number,
): ProbeResult[] {
  const out: ProbeResult[] = [];
  const oldest = Math.max(0, info.written - info.cap);
  for (let e = info.written - 1; e >= oldest && out.length < limit; e--) {
    const at = (e % info.cap) * RING_ENTRY_BYTES;
    const result = decodeRingEntry(checkId, ring.subarray(at, at + RING_ENTRY_BYTES), e, info);
    if (result !== null) out.push(result);
  }
  return out;
}

function clamp(value: number, max: number): number {
  return Math.min(max, Math.max(0, Math.round(value)));
}
