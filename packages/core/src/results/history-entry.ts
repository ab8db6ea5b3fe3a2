import { PROBE_ERRORS, type ProbeResult } from '../probes/probe-result.js';
import { MESSAGE_CHARS } from './history-ring.js';
import { latestFromStored } from './latest-result.js';

/**
 * History entries as the list kept them before the ring (history-ring.ts): still read, until the
 * ring is full; written only by tests, as a Redis from before the upgrade holds them.
 *
 * One history entry as packed fixed fields (big-endian), instead of a ProbeResult JSON document:
 *
 *   byte 0      flags: 0x80 always (an old JSON entry starts with `{`, 0x7b), 0x01 ok, 0x02 slow,
 *               bits 2–6 the error class's index in PROBE_ERRORS + 1 (0: none; bit 6 was always 0
 *               while there were at most 15 classes, so older entries read the same)
 *   byte 1      the vantage's index in the check's latest hash (`<vantage>:i`), set by the record script
 *   bytes 2–7   round, epoch ms (uint48)
 *   bytes 8–9   finishedAt − round, in 10 ms units (uint16, saturating: 655 s)
 *   bytes 10–11 total latency, ms (uint16, saturating: 65.5 s, beyond any timeout)
 *   bytes 12–13 HTTP status (uint16; 0: none)
 *   bytes 14…   the message, UTF-8, at most MESSAGE_CHARS characters
 *
 * It keeps what the readers of history show (API results, `vigil checks show`): vantage, round, ok,
 * slow, error, message, status, total latency and when the probe finished. Phase timings, addresses,
 * the remote address and certificate expiry stay in the vantage's latest result only.
 *
 * Messages are truncated, not deduplicated: an entry stays self-contained, so trimming the list is the
 * only clean-up (a shared message table would need its own reference counting), and a check that fails
 * all through its history costs at most MESSAGE_CHARS more bytes per entry. A healthy check's entries
 * carry no message at all.
 */
const FIXED_BYTES = 14;
const FLAG_MARK = 0x80;
const FLAG_OK = 0x01;
const FLAG_SLOW = 0x02;
const UINT16_MAX = 0xffff;
/** Five bits of byte 0 name the error class: up to 31 classes. */
const ERROR_MASK = 0x1f;
if (PROBE_ERRORS.length > ERROR_MASK) throw new Error('history entries name at most 31 probe error classes');

/** The entry without its vantage index (byte 1 is 0): the record script writes it. */
export function encodeHistoryEntry(result: ProbeResult): Buffer {
  const message = result.message === undefined ? '' : [...result.message].slice(0, MESSAGE_CHARS).join('');
  const text = Buffer.from(message, 'utf8');
  const entry = Buffer.alloc(FIXED_BYTES + text.length);
  const errorIndex = result.error === undefined ? 0 : PROBE_ERRORS.indexOf(result.error) + 1;
  entry[0] = FLAG_MARK | (result.ok ? FLAG_OK : 0) | (result.slow ? FLAG_SLOW : 0) | (errorIndex << 2);
  entry.writeUIntBE(result.round, 2, 6);
  entry.writeUInt16BE(clamp16((result.finishedAt - result.round) / 10), 8);
  entry.writeUInt16BE(clamp16(result.timings.total), 10);
  entry.writeUInt16BE(clamp16(result.status ?? 0), 12);
  text.copy(entry, FIXED_BYTES);
  return entry;
}

/**
 * One stored entry back as a ProbeResult: a packed entry, whose vantage is named by `vantages`
 * (index → id), or a JSON document written before entries were packed. Null when the entry's vantage
 * index is unknown.
 */
export function decodeHistoryEntry(
  checkId: string,
  entry: Buffer,
  vantages: ReadonlyMap<number, string>,
): ProbeResult | null {
  if (entry.length === 0) return null;
  // JSON: written before the ring, or by a vantage past its indexes (those without the check's id).
  if ((entry[0] ?? 0) < FLAG_MARK) {
    const raw = JSON.parse(entry.toString('utf8')) as Record<string, unknown>;
    if ('startedAt' in raw) return { checkId, ...raw } as ProbeResult;
    // A vantage past the ring's indexes: its latest's short form, with its vantage and round.
    const { vantage, round, ...stored } = raw;
    return latestFromStored(stored, { checkId, vantage: String(vantage), round: String(round) });
  }
  if (entry.length < FIXED_BYTES) return null;
  const vantage = vantages.get(entry[1] ?? 0);
  if (vantage === undefined) return null;
  const flags = entry[0] ?? 0;
  const round = entry.readUIntBE(2, 6);
  const finishedAt = round + entry.readUInt16BE(8) * 10;
  const total = entry.readUInt16BE(10);
  const status = entry.readUInt16BE(12);
  const error = PROBE_ERRORS[((flags >> 2) & ERROR_MASK) - 1];
  const message = entry.subarray(FIXED_BYTES).toString('utf8');
  return {
    checkId,
    vantage,
    round,
    startedAt: finishedAt - total,
    finishedAt,
    ok: (flags & FLAG_OK) !== 0,
    ...(error !== undefined && { error }),
    ...(message !== '' && { message }),
    ...(status !== 0 && { status }),
    timings: { total },
    ...((flags & FLAG_SLOW) !== 0 && { slow: true }),
  };
}

function clamp16(value: number): number {
  return Math.min(UINT16_MAX, Math.max(0, Math.round(value)));
}
