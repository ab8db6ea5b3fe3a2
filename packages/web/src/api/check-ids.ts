import type { CheckRegistry } from '@vigil/core';
import type { WebContext } from '../context.js';

/** Owners (and `*`, every check) whose sorted ids are kept; the least recently stored goes first. */
const MAX_LISTS = 1_000;

/** Per registry: the sorted ids of each owner as of a registry version. */
const lists = new WeakMap<CheckRegistry, Map<string, { version: number; ids: readonly string[] }>>();

/**
 * Every check id (or an owner's), sorted, re-read only when the registry's change counter moved:
 * a listing of 10,000 checks otherwise reads and sorts 10,000 ids on every page and poll. The
 * counter is read first, and every write bumps it after writing, so a list is never kept past a change.
 */
export async function sortedCheckIds(
  ctx: Pick<WebContext, 'checks'>,
  owner: string | undefined,
): Promise<readonly string[]> {
  const version = await ctx.checks.version();
  const held = lists.get(ctx.checks) ?? new Map<string, { version: number; ids: readonly string[] }>();
  lists.set(ctx.checks, held);
  const key = owner === undefined ? '*' : `owner:${owner}`;
  const list = held.get(key);
  if (list?.version === version) return list.ids;
  const ids = await ctx.checks.ids(owner);
  held.delete(key);
  held.set(key, { version, ids });
  if (held.size > MAX_LISTS) held.delete(held.keys().next().value as string);
  return ids;
}
