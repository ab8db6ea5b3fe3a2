import type { HttpSpec, StatusRange } from '@vigil/core';

type HttpExpect = HttpSpec['expect'];

const PREVIEW_CHARS = 200;

/** A status message says the ranges as written: `200`, `2xx` or `200-299`. */
export function statusFailure(status: number, ranges: StatusRange[]): string | undefined {
  if (ranges.some((range) => range.min <= status && status <= range.max)) return undefined;
  return `expected status ${ranges.map(describeRange).join(', ')}, got ${status}`;
}

/** Whether any assertion needs the body; otherwise it is dumped instead of buffered. */
export function needsBody(expect: HttpExpect): boolean {
  return expect.bodyContains !== undefined || expect.bodyRegex !== undefined || expect.json !== undefined;
}

/**
 * The first body assertion that fails, as a message saying what was expected and what was found.
 * `patternMatched` is whether `bodyRegex` matched (the prober runs patterns under the probe's deadline).
 * A `json` assertion without `equals` asks only that the path exists (null, false and 0 exist).
 */
export function bodyFailure(body: string, expect: HttpExpect, patternMatched: boolean): string | undefined {
  if (expect.bodyContains !== undefined && !body.includes(expect.bodyContains)) {
    return `expected the body to contain ${JSON.stringify(expect.bodyContains)}; it begins ${preview(body)}`;
  }
  if (expect.bodyRegex !== undefined && !patternMatched) {
    return `expected the body to match /${expect.bodyRegex}/; it begins ${preview(body)}`;
  }
  return expect.json ? jsonFailure(body, expect.json) : undefined;
}

function jsonFailure(body: string, json: NonNullable<HttpExpect['json']>): string | undefined {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return `expected a JSON body to read ${json.path}; it does not parse and begins ${preview(body)}`;
  }
  const found = readJsonPath(document, json.path);
  if (!found.exists) return `expected ${json.path} to exist; found nothing there`;
  if (!('equals' in json) || json.equals === undefined) return undefined;
  if (found.value === json.equals) return undefined;
  return `expected ${json.path} to equal ${JSON.stringify(json.equals)}; found ${preview(JSON.stringify(found.value) ?? 'undefined', false)}`;
}

const STEP = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["([^"]*)"\]/y;

/**
 * Reads a value by the JSONPath subset checks accept: `$.a.b`, `$.items[0]`, `$["odd key"]`.
 * Only own properties count, so `$.constructor` does not find Object's.
 */
export function readJsonPath(document: unknown, path: string): { exists: boolean; value?: unknown } {
  if (!path.startsWith('$')) return { exists: false };
  let value = document;
  STEP.lastIndex = 1;
  while (STEP.lastIndex < path.length) {
    const match = STEP.exec(path);
    if (!match) return { exists: false };
    const key = match[1] ?? match[3];
    const next = key === undefined ? atIndex(value, Number(match[2])) : atKey(value, key);
    if (!next.exists) return next;
    value = next.value;
  }
  return { exists: true, value };
}

function atKey(value: unknown, key: string): { exists: boolean; value?: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) {
    return { exists: false };
  }
  return { exists: true, value: (value as Record<string, unknown>)[key] };
}

function atIndex(value: unknown, index: number): { exists: boolean; value?: unknown } {
  if (!Array.isArray(value) || index >= value.length) return { exists: false };
  return { exists: true, value: value[index] };
}

function describeRange(range: StatusRange): string {
  if (range.min === range.max) return String(range.min);
  if (range.min % 100 === 0 && range.max === range.min + 99) return `${range.min / 100}xx`;
  return `${range.min}-${range.max}`;
}

/** A quoted, shortened sample of what the target sent, safe to put in a message. */
function preview(text: string, quote = true): string {
  const short = text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
  return quote ? JSON.stringify(short) : short;
}
