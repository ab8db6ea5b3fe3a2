import { type Check, checkRevision, checkToInput, REDACTED } from '@vigil/core';
import type { CheckView } from '@vigil/web';

/** One field that differs: its dotted path in the input form, and the value before and after. */
export interface FieldChange {
  path: string;
  from?: unknown;
  to?: unknown;
  /** A header or a body, which may hold a credential: its values are not shown (nor, if redacted, known). */
  hidden?: boolean;
}

/** `{ http: { expect: { maxMs: 1 } } }` → `{ 'http.expect.maxMs': 1 }`; arrays stay whole. */
export function flatten(value: unknown, prefix = '', out: Map<string, unknown> = new Map()): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, out);
  } else if (prefix) {
    out.set(prefix, value);
  }
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Fields whose values a plan never prints: headers (the API redacts credentials among them, and which
 * names count is the server's call) and request bodies.
 */
const isHiddenPath = (path: string) => path.startsWith('http.headers.') || path === 'http.body' || path === 'tcp.send';

/** The fields that differ between two input forms, in the desired form's order, then removals. */
export function diffFields(current: unknown, desired: unknown, skip: ReadonlySet<string> = new Set()): FieldChange[] {
  const from = flatten(current);
  const to = flatten(desired);
  const changes: FieldChange[] = [];
  for (const path of new Set([...to.keys(), ...from.keys()])) {
    if (skip.has(path) || same(from.get(path), to.get(path))) continue;
    changes.push(
      isHiddenPath(path)
        ? { path, hidden: true, ...(from.has(path) && { from: REDACTED }), ...(to.has(path) && { to: REDACTED }) }
        : { path, ...(from.has(path) && { from: from.get(path) }), ...(to.has(path) && { to: to.get(path) }) },
    );
  }
  return changes;
}

/** The stored check behind an API view (credential headers still redacted). */
export function checkFromView(view: CheckView): Check {
  const { owner: _owner, source: _source, revision: _revision, state: _state, ...check } = view;
  return check;
}

/**
 * What would change if `desired` replaced the server's check, field by field in the vigil.yaml form.
 * Redacted headers are compared through the revision: the server's check with the file's values in
 * their place has the server's revision exactly when those values are unchanged.
 */
export function checkChanges(desired: Check, current: CheckView): FieldChange[] {
  const server = checkFromView(current);
  const redacted = Object.entries(server.http?.headers ?? {}).filter(([, value]) => value === REDACTED);
  const redactedPaths = new Set(redacted.map(([name]) => `http.headers.${name}`));
  const changes = diffFields(checkToInput(server), checkToInput(desired), redactedPaths);
  if (redacted.length === 0 || !server.http) return changes;
  const wanted = desired.http?.headers ?? {};
  const dropped = redacted.filter(([name]) => wanted[name] === undefined);
  const kept = redacted.filter(([name]) => wanted[name] !== undefined);
  const headers = { ...server.http.headers };
  for (const [name] of kept) headers[name] = wanted[name] ?? REDACTED;
  const substituted: Check = { ...server, http: { ...server.http, headers } };
  const keptChanged = dropped.length > 0 || checkRevision(substituted) !== current.revision;
  for (const [name] of dropped) changes.push({ path: `http.headers.${name}`, from: REDACTED, hidden: true });
  if (keptChanged) {
    for (const [name] of kept)
      changes.push({ path: `http.headers.${name}`, from: REDACTED, to: REDACTED, hidden: true });
  }
  return changes;
}

/** Epoch ms as ISO 8601, as vigil.yaml writes instants. */

/** Renders a value for a plan line: bare words bare, anything else as JSON, never too long. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(unset)';
  const text = typeof value === 'string' && /^[^\s,"]+$/.test(value) ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** `interval 30s → 10s`, `http.headers.Authorization changed (value hidden)`. */
export function describeChange(change: FieldChange): string {
  if (change.hidden) {
    if (change.from === undefined) return `${change.path} added (value hidden)`;
    if (change.to === undefined) return `${change.path} removed`;
    return `${change.path} changed (value hidden)`;
  }
  return `${change.path} ${formatValue(change.from)} → ${formatValue(change.to)}`;
}
