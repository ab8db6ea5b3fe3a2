import {
  type DeflatedJsonForm,
  decodeDeflatedJson,
  deflatedJsonForm,
  encodeDeflatedJson,
  encodeDeflatedJsonText,
  isDeflatedJsonBinary,
} from '../runtime/deflated-json.js';
import type { Check } from './check.js';
import { CHECK_KINDS } from './kinds/registry.js';

/**
 * What checks' JSON repeats (each kind's keys and defaults, the fields every check has, in the order
 * resolveCheck writes them): the registry's preset dictionary, the commonest last. Never change it
 * (stored checks would no longer read): a new dictionary takes a new byte. Written as byte 0x02 and
 * the deflated bytes; `c` and them in base64url is the form before, still read.
 */
const CHECK_FORM: DeflatedJsonForm = deflatedJsonForm(0x02, 'c', [
  '"heartbeat":{"grace":60000,"schedule":"0 * * * *","timezone":"Europe/"},',
  '"icmp":{"host":"","count":3,"expect":{"maxLossPercent":0,"maxRttMs":500}},',
  '"dns":{"name":"","type":"A","server":"1.1.1.1","expect":{"rcode":"NOERROR","answers":{"contains":[""],"equals":[""]},"minTtl":300,"maxMs":1000}},',
  '"tcp":{"host":"","port":443,"tls":true,"servername":"","insecureTls":false,"send":"","expect":"","certDaysLeft":14,"maxMs":1000}},',
  '"body":"","json":{"path":"$.status","equals":"ok"},"bodyRegex":"","bodyContains":"ok","maxMs":2000,"certDaysLeft":14}',
  '"headers":{"Authorization":"Bearer ","Content-Type":"application/json","User-Agent":"","Accept":"application/json"}',
  '"http":{"url":"https://www.","method":"GET","headers":{},"maxRedirects":5,',
  '"allAddresses":false,"maxBodyBytes":1048576,"insecureTls":false,"expect":{"status":[{"min":200,"max":399}]}},',
  ',"escalation":"","public":true,"owner":"',
  '{"id":"","name":"","component":"","kind":"http",',
  '"intervalMs":60000,"timeoutMs":10000,"vantages":[],"confirmations":2,"quorum":"majority","severity":"major","alertOn":"down","tags":[],"paused":false}',
]);

/** The registry's value for a check (`json`: its JSON, when at hand): byte 0x02, then the JSON deflated with the dictionary. */
export function encodeStoredCheck(check: Check, json = JSON.stringify(check)): Buffer {
  return encodeDeflatedJson(CHECK_FORM, json);
}

/** The value the release before wrote (`c`, then base64url): still read; for tests and benches playing it. */
export function encodeStoredCheckText(check: Check, json = JSON.stringify(check)): string {
  return encodeDeflatedJsonText(CHECK_FORM, json);
}

/**
 * A check's JSON from the registry's value, read as a Buffer, in any form (JSON written before the
 * compact forms, base64url before the bytes); undefined when unreadable.
 */
export function storedCheckJson(value: Buffer | string): string | undefined {
  return decodeDeflatedJson(CHECK_FORM, value);
}

/** Whether a value is in the form the registry writes now (any other is converted by the next write). */
export function isCompactStoredCheck(value: Buffer): boolean {
  return isDeflatedJsonBinary(CHECK_FORM, value);
}

/**
 * The check a registry value holds under `id`; undefined when it does not decode, parse, or look like
 * a check of that id (a corrupt or hostile value: a reader skips it, never fails on it).
 */
export function decodeStoredCheck(id: string, value: Buffer | string): Check | undefined {
  const json = storedCheckJson(value);
  if (json === undefined) return undefined;
  let check: unknown;
  try {
    check = JSON.parse(json);
  } catch {
    return undefined;
  }
  return looksLikeCheck(id, check) ? check : undefined;
}

/** The fields every reader relies on, checked cheaply (a million checks are read at a role's start). */
function looksLikeCheck(id: string, value: unknown): value is Check {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const check = value as Record<string, unknown>;
  const kind = check.kind;
  return (
    check.id === id &&
    typeof kind === 'string' &&
    (CHECK_KINDS as readonly string[]).includes(kind) &&
    typeof check[kind] === 'object' &&
    check[kind] !== null &&
    typeof check.intervalMs === 'number' &&
    typeof check.timeoutMs === 'number' &&
    Array.isArray(check.vantages) &&
    Array.isArray(check.tags)
  );
}
