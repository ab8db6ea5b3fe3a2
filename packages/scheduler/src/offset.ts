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
