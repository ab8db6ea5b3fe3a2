import type { ProbeResult } from '../probes/probe-result.js';

/**
 * A vantage's latest result as its check's latest hash keeps it (field `<vantage>`, beside
 * `<vantage>:round`): short field names, times relative to the round (which `<vantage>:round`
 * holds), timings as an array. An HTTP result is ~80 bytes instead of ~200: the hash holds one a
 * vantage per check. Decoding gives back the same result, fields in the same order; JSON of the
 * whole result (written before) is read as it is.
 */

/** Field → its short name; `startedAt`, `finishedAt` and `timings` have their own forms below. */
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
const TIMINGS = ['dns', 'connect', 'tls', 'firstByte', 'total'] as const;

/** The latest hash's value for `result` (its check, vantage and round are kept apart). */
export function encodeLatest(result: ProbeResult): string {
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

/** A result from its latest hash's value and `<vantage>:round` (unused for JSON written before). */
export function decodeLatest(
  json: string,
  of: { checkId: string; vantage: string; round: string | undefined },
): ProbeResult {
  return latestFromStored(JSON.parse(json) as Record<string, unknown>, of);
}

/** A result from its stored form, parsed (a history list entry's, too: results past 15 vantages). */
export function latestFromStored(
  stored: Record<string, unknown>,
  of: { checkId: string; vantage: string; round: string | undefined },
): ProbeResult {
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

function timingsOf(value: unknown): ProbeResult['timings'] {
  const phases = Array.isArray(value) ? value : [];
  const timings: Record<string, number> = {};
  TIMINGS.forEach((phase, i) => {
    const ms = phases[i];
    if (typeof ms === 'number') timings[phase] = ms;
  });
  return timings as ProbeResult['timings'];
}
