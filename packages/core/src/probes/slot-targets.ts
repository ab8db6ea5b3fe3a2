import { createHash } from 'node:crypto';
import {
  type DeflatedJsonForm,
  decodeDeflatedJson,
  deflatedJsonForm,
  encodeDeflatedJson,
  encodeDeflatedJsonText,
  isDeflatedJsonBinary,
} from '../runtime/deflated-json.js';

/**
 * A slot chunk's members as one Redis string, written by the scheduler and read by its vantage's
 * prober: the members' fingerprint (fixed width, so a prober reads it alone with GETRANGE every
 * round), then a line per member, its check id and the revision of its probe target. The targets'
 * JSON is kept once a vantage, in its probe target store (`keys.probeTargets`, a hash a
 * shard: check id → the target's JSON, deflated, as bytes: `encodeStoredTarget`), and read by a prober only
 * for a revision it has not cached.
 * The layout before held each member's ProbeTarget JSON in the string itself, a line each (a line
 * starting with `{`): probers still read such a string until the scheduler rewrites it.
 */

/** Width of a slot's members fingerprint (a SHA-1 in base64url). */
export const SLOT_FINGERPRINT_LENGTH = 27;

/** Width of a probe target's revision (48 bits of the SHA-1 of its JSON, in base64url). */
export const TARGET_REVISION_LENGTH = 8;

/** One check of a slot chunk: its id, and the revision of its target in the probe target store. */
export interface SlotMember {
  id: string;
  revision: string;
}

/** The revision of a probe target's JSON, as the store holds it: changes whenever the JSON does. */
export function targetRevision(targetJson: string): string {
  return createHash('sha1').update(targetJson).digest('base64url').slice(0, TARGET_REVISION_LENGTH);
}

function checkFingerprint(fingerprint: string): void {
  if (fingerprint.length !== SLOT_FINGERPRINT_LENGTH)
    throw new Error(`a slot fingerprint is ${SLOT_FINGERPRINT_LENGTH} characters, got ${fingerprint.length}`);
}

/** The string a slot chunk's key holds: `fingerprint`, then `<check id> <revision>` a line per member. */
export function encodeSlotMembers(fingerprint: string, members: readonly SlotMember[]): string {
  checkFingerprint(fingerprint);
  return [fingerprint, ...members.map((member) => `${member.id} ${member.revision}`)].join('\n');
}

/**
 * A slot chunk's string in the layout before: `fingerprint`, then each target's JSON on a line of
 * its own (JSON.stringify never writes a newline). Still read by probers; written by tests and benches
 * that play an older scheduler.
 */
export function encodeSlotTargets(fingerprint: string, targetsJson: readonly string[]): string {
  checkFingerprint(fingerprint);
  return [fingerprint, ...targetsJson].join('\n');
}

/**
 * The fingerprint of a slot chunk's string, and its members (`members`), or, in a string of the
 * layout before, its targets' JSON lines (`lines`).
 */
export function decodeSlot(text: string): { fingerprint: string; members: SlotMember[]; lines: string[] } {
  const [fingerprint = '', ...rest] = text.split('\n');
  const members: SlotMember[] = [];
  const lines: string[] = [];
  for (const line of rest) {
    if (line.length === 0) continue;
    if (line.startsWith('{')) {
      lines.push(line);
      continue;
    }
    const space = line.indexOf(' ');
    if (space > 0) members.push({ id: line.slice(0, space), revision: line.slice(space + 1) });
  }
  return { fingerprint, members, lines };
}

/**
 * What probe targets' JSON repeats (each kind's keys and defaults, as toProbeTarget writes them):
 * deflate's preset dictionary for the store's values, the commonest last. Never change it (values
 * written with it would no longer read): a new dictionary takes a new format byte. Written as byte
 * 0x01 and the deflated bytes; `z` and them in base64url is the form before, still read.
 */
const TARGET_FORM: DeflatedJsonForm = deflatedJsonForm(0x01, 'z', [
  '"expect":{"rcode":"NOERROR","answers":{"contains":[""],"equals":[""]},"minTtl":300,"maxMs":1000}',
  '{"id":"","kind":"dns","dns":{"name":"","type":"A","server":"',
  '{"id":"","kind":"icmp","icmp":{"host":"","count":3,"expect":{"maxLossPercent":0,"maxRttMs":500}}',
  '{"id":"","kind":"tcp","tcp":{"host":"","port":443,"tls":true,"servername":"","insecureTls":false,"send":"","expect":"","certDaysLeft":14,"maxMs":1000}',
  '"body":"","json":{"path":"$.status","equals":"ok"},"bodyRegex":"","bodyContains":"ok","maxMs":2000,"certDaysLeft":14}',
  '"headers":{"Authorization":"Bearer ","Content-Type":"application/json","User-Agent":"","Accept":"application/json"}',
  '{"id":"","kind":"http","http":{"url":"https://www.","method":"GET","headers":{},"maxRedirects":5,',
  '"allAddresses":false,"maxBodyBytes":1048576,"insecureTls":false,"expect":{"status":[{"min":200,"max":399}]}},',
  '"intervalMs":60000,"timeoutMs":10000}',
]);

/** The store's value for a target's JSON: byte 0x01, then the JSON deflated with the dictionary. */
export function encodeStoredTarget(targetJson: string): Buffer {
  return encodeDeflatedJson(TARGET_FORM, targetJson);
}

/** The value the release before wrote (`z`, then base64url): still read; for tests and benches playing it. */
export function encodeStoredTargetText(targetJson: string): string {
  return encodeDeflatedJsonText(TARGET_FORM, targetJson);
}

/**
 * A target's JSON from the store's value, read as a Buffer (the form written now, the base64url form
 * before it and plain JSON before that all read); undefined when unreadable (inflated to 64 KiB at
 * most).
 */
export function decodeStoredTarget(value: Buffer | string): string | undefined {
  return decodeDeflatedJson(TARGET_FORM, value);
}

/** Whether a stored value is in the form written now: a value in an older one is rewritten by a thorough repair. */
export function isCurrentStoredTarget(value: Buffer): boolean {
  return isDeflatedJsonBinary(TARGET_FORM, value);
}
