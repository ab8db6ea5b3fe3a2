import { PROBE_ERRORS, type ProbeResult } from '../probes/probe-result.js';

/**
 * A vantage's latest result as its check's latest hash keeps it (field `<vantage>`, its round in
 * `<vantage>:i`): compact text, tokens of a tag letter and a value (`s5 f125 o c200
 * t2,10,40,110,125 a192.0.2.1`), times relative to the round, in the result's own field order. A
 * healthy result fits Redis's `hash-max-listpack-value` (64 bytes), so the hash stays listpack-encoded
 * (~3 times smaller than a hashtable); a message that would not fit is kept apart (the check's
 * `latestMessages` hash, field `<vantage>`). Decoding gives back the same result, fields in the same
 * order; the JSON forms written before (the whole result, or short names) are read as they are.
 */

/** Redis's default `hash-max-listpack-value`: a longer value turns the hash into a hashtable for good. */
export const LISTPACK_VALUE_MAX = 64;

/** Field → its tag; `startedAt`, `finishedAt`, `timings`, `dns`, `icmp` have their own forms below. */
const TAG: Record<string, string> = {
  startedAt: 's',
  finishedAt: 'f',
  ok: 'o',
  error: 'e',
  message: 'm',
  status: 'c',
  remoteAddress: 'a',
  timings: 't',
  certExpiresAt: 'x',
  slow: 'w',
  dns: 'd',
  icmp: 'i',
  addresses: 'A',
};
const TIMINGS = ['dns', 'connect', 'tls', 'firstByte', 'total'] as const;
/** A message kept in the check's `latestMessages` hash; `ok` and `slow` false; other forms of `e`/`x`/`d`/`i`. */
const APART = 'M';
const NOT_OK = 'O';
const NOT_SLOW = 'W';
const ERROR_NAME = 'E';
const CERT_MS = 'y';
const CERT_DECIMAL = 'X';
const DNS_JSON = 'D';
const ICMP_JSON = 'I';
const DNS_KEYS = ['rcode', 'answers', 'minTtl', 'transport'];
const ICMP_KEYS = ['sent', 'received', 'lossPercent', 'rttMs'];
const RTT_KEYS = ['min', 'avg', 'max'];

/** The latest hash's value for `result`, and its message when kept apart (its check, vantage and round are kept apart too). */
export function encodeLatest(result: ProbeResult): { value: string; message?: string } {
  const tokens: string[] = [];
  let messageAt = -1;
  for (const [field, value] of Object.entries(result)) {
    if (field === 'checkId' || field === 'vantage' || field === 'round' || value === undefined) continue;
    const token = tokenOf(field, value, result);
    // A field the compact form does not know: the short JSON form, as before.
    if (token === null) return { value: shortJson(result) };
    if (field === 'message') messageAt = tokens.length;
    tokens.push(token);
  }
  const value = tokens.join(' ');
  if (messageAt < 0 || byteLength(value) <= LISTPACK_VALUE_MAX) return { value };
  tokens[messageAt] = APART;
  const apart = tokens.join(' ');
  // Nothing to gain when the rest is too long anyway: one key, one write.
  if (byteLength(apart) > LISTPACK_VALUE_MAX) return { value };
  return { value: apart, message: result.message ?? '' };
}

function tokenOf(field: string, value: unknown, result: ProbeResult): string | null {
  const tag = TAG[field];
  if (tag === undefined) return null;
  switch (field) {
    case 'startedAt':
      return tag + String(result.startedAt - result.round);
    case 'finishedAt':
      return tag + String(result.finishedAt - result.startedAt);
    case 'ok':
      return value ? tag : NOT_OK;
    case 'slow':
      return value ? tag : NOT_SLOW;
    case 'error': {
      // By its index in PROBE_ERRORS, which only grows at its end (history entries name it so too).
      const index = PROBE_ERRORS.indexOf(value as (typeof PROBE_ERRORS)[number]);
      return index < 0 ? ERROR_NAME + escapeText(String(value)) : tag + String(index);
    }
    case 'timings':
      return tag + TIMINGS.map((phase) => result.timings[phase] ?? '').join(',');
    case 'certExpiresAt': {
      // A certificate's notAfter is whole seconds: base 36 of those, 6 characters.
      const ms = value as number;
      if (!Number.isSafeInteger(ms) || ms < 0) return CERT_DECIMAL + String(ms);
      return ms % 1000 === 0 ? tag + (ms / 1000).toString(36) : CERT_MS + ms.toString(36);
    }
    case 'dns':
      return dnsToken(result.dns);
    case 'icmp':
      return icmpToken(result.icmp);
    case 'addresses':
      return tag + escapeText(JSON.stringify(value));
    default:
      return tag + escapeText(String(value));
  }
}

/** `d<rcode>,<transport>,<minTtl>,<answers JSON>` when its fields come in the usual order, else its JSON. */
function dnsToken(dns: ProbeResult['dns']): string {
  if (!dns) return DNS_JSON;
  const expected = dns.minTtl === undefined ? DNS_KEYS.filter((key) => key !== 'minTtl') : DNS_KEYS;
  const usual = Object.keys(dns).join() === expected.join() && (dns.transport === 'udp' || dns.transport === 'tcp');
  if (!usual) return DNS_JSON + escapeText(JSON.stringify(dns));
  return `d${escapeText(dns.rcode).replaceAll(',', '%2C')},${dns.transport},${dns.minTtl ?? ''},${escapeText(JSON.stringify(dns.answers))}`;
}

/** `i<sent>,<received>,<lossPercent>[,<min>,<avg>,<max>]` when its fields come in the usual order, else its JSON. */
function icmpToken(icmp: ProbeResult['icmp']): string {
  if (!icmp) return ICMP_JSON;
  const keys = Object.keys(icmp);
  const rtt = icmp.rttMs;
  const usual =
    keys.length === (rtt ? 4 : 3) &&
    keys.every((key, i) => key === ICMP_KEYS[i]) &&
    (!rtt || Object.keys(rtt).join() === RTT_KEYS.join());
  if (!usual) return ICMP_JSON + escapeText(JSON.stringify(icmp));
  const parts = [icmp.sent, icmp.received, icmp.lossPercent, ...(rtt ? [rtt.min, rtt.avg, rtt.max] : [])];
  return `i${parts.join(',')}`;
}

/** How each tag's token is read back into the result being built (`round`: the round's epoch ms). */
type TokenReader = (out: Record<string, unknown>, text: string, at: { round: number; message?: string }) => void;
const READERS: Record<string, TokenReader> = {
  s: (out, text, { round }) => {
    out.startedAt = round + Number(text);
  },
  f: (out, text, { round }) => {
    out.finishedAt = Number(out.startedAt ?? round) + Number(text);
  },
  o: (out) => {
    out.ok = true;
  },
  [NOT_OK]: (out) => {
    out.ok = false;
  },
  w: (out) => {
    out.slow = true;
  },
  [NOT_SLOW]: (out) => {
    out.slow = false;
  },
  e: (out, text) => {
    out.error = PROBE_ERRORS[Number(text)];
  },
  [ERROR_NAME]: (out, text) => {
    out.error = unescapeText(text);
  },
  m: (out, text) => {
    out.message = unescapeText(text);
  },
  [APART]: (out, _text, { message }) => {
    if (message !== undefined) out.message = message;
  },
  c: (out, text) => {
    out.status = Number(text);
  },
  a: (out, text) => {
    out.remoteAddress = unescapeText(text);
  },
  t: (out, text) => {
    out.timings = timingsOf(text.split(',').map((ms) => (ms === '' ? null : Number(ms))));
  },
  x: (out, text) => {
    out.certExpiresAt = Number.parseInt(text, 36) * 1000;
  },
  [CERT_MS]: (out, text) => {
    out.certExpiresAt = Number.parseInt(text, 36);
  },
  [CERT_DECIMAL]: (out, text) => {
    out.certExpiresAt = Number(text);
  },
  d: (out, text) => {
    out.dns = dnsOf(text);
  },
  [DNS_JSON]: (out, text) => {
    out.dns = JSON.parse(unescapeText(text));
  },
  i: (out, text) => {
    out.icmp = icmpOf(text);
  },
  [ICMP_JSON]: (out, text) => {
    out.icmp = JSON.parse(unescapeText(text));
  },
  A: (out, text) => {
    out.addresses = JSON.parse(unescapeText(text));
  },
};

/** A result from its latest hash's value, its round (from `<vantage>:i`; unused for JSON written before) and its message kept apart. */
export function decodeLatest(
  value: string,
  of: { checkId: string; vantage: string; round: string | undefined; message?: string | undefined },
): ProbeResult {
  if (value.startsWith('{')) return latestFromStored(JSON.parse(value) as Record<string, unknown>, of);
  const at = { round: Number(of.round), ...(of.message !== undefined && { message: of.message }) };
  const out: Record<string, unknown> = { checkId: of.checkId, vantage: of.vantage, round: at.round };
  for (const token of value.split(' ')) READERS[token.charAt(0)]?.(out, token.slice(1), at);
  return out as ProbeResult;
}

function dnsOf(text: string): ProbeResult['dns'] {
  const [rcode = '', transport = 'udp', minTtl = ''] = text.split(',', 3);
  const answersAt = rcode.length + transport.length + minTtl.length + 3;
  return {
    rcode: unescapeText(rcode),
    answers: JSON.parse(unescapeText(text.slice(answersAt))) as string[],
    ...(minTtl !== '' && { minTtl: Number(minTtl) }),
    transport: transport as 'udp' | 'tcp',
  };
}

function icmpOf(text: string): ProbeResult['icmp'] {
  const [sent = 0, received = 0, lossPercent = 0, min, avg, max] = text.split(',').map(Number);
  return {
    sent,
    received,
    lossPercent,
    ...(min !== undefined && avg !== undefined && max !== undefined && { rttMs: { min, avg, max } }),
  };
}

/** A result from its stored JSON form, parsed (a history list entry's, too: results past 15 vantages). */
export function latestFromStored(
  stored: Record<string, unknown>,
  of: { checkId: string; vantage: string; round: string | undefined; message?: string | undefined },
): ProbeResult {
  // The compact form, in a history list entry (record-results.lua): `~`, and `~m` its message kept apart.
  if (typeof stored['~'] === 'string') {
    const message = typeof stored['~m'] === 'string' ? stored['~m'] : of.message;
    return decodeLatest(stored['~'], { ...of, message });
  }
  // Written before the short form: the whole result, round and times included.
  if ('startedAt' in stored) return { checkId: of.checkId, vantage: of.vantage, ...stored } as ProbeResult;
  const round = Number(of.round);
  const out: Record<string, unknown> = { checkId: of.checkId, vantage: of.vantage, round };
  for (const [name, value] of Object.entries(stored)) {
    const field = LONG[name] ?? name;
    if (field === 'startedAt') out.startedAt = round + Number(value);
    else if (field === 'finishedAt') out.finishedAt = Number(out.startedAt ?? round) + Number(value);
    else if (field === 'timings') out.timings = timingsOf(value);
    else if (field === 'ok') out.ok = value === 1;
    else out[field] = value;
  }
  return out as ProbeResult;
}

/** The short JSON form (written before the compact one, and still for a field it does not know). */
const SHORT: Record<string, string> = {
  ok: 'o',
  error: 'e',
  message: 'm',
  status: 'c',
  remoteAddress: 'a',
  certExpiresAt: 'x',
  slow: 'w',
  dns: 'd',
  icmp: 'i',
  addresses: 'A',
  startedAt: 's',
  finishedAt: 'f',
  timings: 't',
};
const LONG: Record<string, string> = Object.fromEntries(Object.entries(SHORT).map(([long, short]) => [short, long]));

function shortJson(result: ProbeResult): string {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(result)) {
    if (field === 'checkId' || field === 'vantage' || field === 'round') continue;
    const name = SHORT[field] ?? field;
    if (field === 'startedAt') out[name] = result.startedAt - result.round;
    else if (field === 'finishedAt') out[name] = result.finishedAt - result.startedAt;
    else if (field === 'timings') out[name] = TIMINGS.map((phase) => result.timings[phase] ?? null);
    else if (field === 'ok') out[name] = result.ok ? 1 : 0;
    else out[name] = value;
  }
  return JSON.stringify(out);
}

function timingsOf(value: unknown): ProbeResult['timings'] {
  const phases = Array.isArray(value) ? value : [];
  const timings: Record<string, number> = {};
  TIMINGS.forEach((phase, i) => {
    const ms = phases[i];
    if (typeof ms === 'number') timings[phase] = ms;
  });
  return timings as ProbeResult['timings'];
}

/** Spaces as `+`; `+`, `%` and newlines as `%2B`, `%25`, `%0A`: a token holds no space, a value no newline (the script's cut). */
function escapeText(text: string): string {
  return /[ +%\n]/.test(text) ? text.replace(/[ +%\n]/g, (c) => ESCAPES[c] ?? c) : text;
}

function unescapeText(text: string): string {
  if (!/[+%]/.test(text)) return text;
  return text.replace(/\+|%(20|25|0A|2B|2C)/g, (_match, hex?: string) =>
    hex === undefined ? ' ' : String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

const ESCAPES: Record<string, string> = { ' ': '+', '+': '%2B', '%': '%25', '\n': '%0A' };

function byteLength(text: string): number {
  return text.length * 3 <= LISTPACK_VALUE_MAX ? text.length : Buffer.byteLength(text);
}

/** Whether a latest hash's value keeps its message apart, in the check's `latestMessages` hash. */
export function hasMessageApart(value: string): boolean {
  return !value.startsWith('{') && / M( |$)|^M( |$)/.test(value);
}
