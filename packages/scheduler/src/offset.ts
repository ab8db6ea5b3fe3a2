/** FNV-1a, 32 bit: stable across processes and versions, unlike anything seeded. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Where in its interval a check's rounds fall: the same for every vantage (so they probe the same
 * round) and spread across checks (so 10,000 checks at 30 s do not all fire at :00). Never 0:
 * BullMQ aligns `every` slots only for a positive offset.
 */
export function roundOffset(checkId: string, intervalMs: number): number {
  if (intervalMs <= 1) return 1;
  return 1 + (fnv1a(checkId) % (intervalMs - 1));
}

/** How wide an offset slot is: checks whose offsets fall in the same second share one slot job. */
export const SLOT_WIDTH_MS = 1_000;

/**
 * The offset of a check's slot: its `roundOffset` rounded down to a whole slot, so the rounds of
 * the checks in a slot fall together. Never 0, for the same reason as `roundOffset`.
 */
export function slotOffset(checkId: string, intervalMs: number): number {
  const offset = roundOffset(checkId, intervalMs);
  return Math.max(1, offset - (offset % SLOT_WIDTH_MS));
}
