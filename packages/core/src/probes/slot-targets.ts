/**
 * A slot chunk's members as one Redis string, written by the scheduler and read by its vantage's
 * prober: the members' fingerprint (fixed width, so a prober reads it alone with GETRANGE every
 * round), then each member's ProbeTarget JSON, a line each (JSON.stringify never writes a newline).
 * One string costs a few bytes a member; the hashes it replaced cost ~150 (values past 64 bytes keep
 * a hash out of Redis's compact encoding).
 */

/** Width of a slot's members fingerprint (a SHA-1 in base64url). */
export const SLOT_FINGERPRINT_LENGTH = 27;

/** The string a slot chunk's key holds: `fingerprint`, then each target's JSON on a line of its own. */
export function encodeSlotTargets(fingerprint: string, targetsJson: readonly string[]): string {
  if (fingerprint.length !== SLOT_FINGERPRINT_LENGTH)
    throw new Error(`a slot fingerprint is ${SLOT_FINGERPRINT_LENGTH} characters, got ${fingerprint.length}`);
  return [fingerprint, ...targetsJson].join('\n');
}

/** The fingerprint and the targets' JSON lines of a slot chunk's string. */
export function decodeSlotTargets(text: string): { fingerprint: string; lines: string[] } {
  const [fingerprint = '', ...lines] = text.split('\n');
  return { fingerprint, lines: lines.filter((line) => line.length > 0) };
}
