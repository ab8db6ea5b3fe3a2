import type { ProbeErrorClass } from '../probes/probe-result.js';
import type { RedisKeys } from '../runtime/keys.js';
import type { Redis } from '../runtime/redis.js';

export const ADDRESS_STATE_NAMES = ['up', 'degraded', 'down'] as const;
export type AddressStateName = (typeof ADDRESS_STATE_NAMES)[number];

/**
 * What the notifier decided about one resolved address of an `allAddresses` check: `down` once a
 * quorum of healthy vantages failed it for `confirmations` rounds in a row, `degraded` while fewer
 * fail it (or before confirmation), `up` otherwise.
 */
export interface AddressState {
  address: string;
  state: AddressStateName;
  /** Round (epoch ms) the address entered this state; for `down`, its first failed round. */
  since: number;
  /** The vantages that failed it in its latest round, and how many counted. */
  failing: string[];
  counted: number;
  /** The most common error among the failing, in its latest round. */
  error?: ProbeErrorClass;
  lastRound: number;
}

/** The state hash's fields that are not addresses start with `~`: the last round applied, the events. */
export const ADDRESS_ROUND_FIELD = '~round';
const ADDRESS_EVENTS_FIELD = '~events';

/** One entry of a check's address timeline: an address went down, came back, or left the name. */
export interface AddressEvent {
  address: string;
  kind: 'down' | 'back' | 'gone';
  /** The round that decided it (epoch ms). */
  round: number;
  /** For `down`, its first failed round; for `back`, its first good one. */
  since: number;
  failing: string[];
  counted: number;
  error?: ProbeErrorClass;
}

/** The addresses of one check's state hash (`keys.addressStates`), sorted by address. */
export function parseAddressStates(hash: Record<string, string>): AddressState[] {
  const states: AddressState[] = [];
  for (const [address, json] of Object.entries(hash)) {
    if (address.startsWith('~')) continue;
    const raw = JSON.parse(json) as Record<string, unknown>;
    const state = ADDRESS_STATE_NAMES.find((name) => name === raw.state);
    if (!state) continue;
    states.push({
      address,
      state,
      since: Number(raw.since ?? 0),
      // Lua's cjson writes an empty list as `{}`.
      failing: Array.isArray(raw.failing) ? raw.failing.map(String) : [],
      counted: Number(raw.counted ?? 0),
      ...(typeof raw.error === 'string' && { error: raw.error as ProbeErrorClass }),
      lastRound: Number(raw.lastRound ?? 0),
    });
  }
  return states.sort((a, b) => a.address.localeCompare(b.address));
}

/** Each check's per-address states, in one pipeline: empty for a check that probes one address. */
export async function readAddressStates(
  ctx: { redis: Redis; keys: Pick<RedisKeys, 'addressStates'> },
  checkIds: readonly string[],
): Promise<Map<string, AddressState[]>> {
  const byCheck = new Map<string, AddressState[]>();
  if (checkIds.length === 0) return byCheck;
  const pipeline = ctx.redis.pipeline();
  for (const id of checkIds) pipeline.hgetall(ctx.keys.addressStates(id));
  const replies = (await pipeline.exec()) ?? [];
  checkIds.forEach((id, i) => {
    const [err, hash] = replies[i] ?? [new Error('no reply from Redis')];
    if (err) throw err;
    byCheck.set(id, parseAddressStates((hash ?? {}) as Record<string, string>));
  });
  return byCheck;
}

/** The check's latest address transitions, newest first (the hash keeps the last 10). */
export function parseAddressEvents(hash: Record<string, string>): AddressEvent[] {
  const raw = JSON.parse(hash[ADDRESS_EVENTS_FIELD] ?? '[]') as unknown;
  // Lua's cjson writes an empty list as `{}`.
  if (!Array.isArray(raw)) return [];
  return raw.map((event: Record<string, unknown>) => ({
    address: String(event.address),
    kind: event.kind === 'down' || event.kind === 'gone' ? event.kind : 'back',
    round: Number(event.round ?? 0),
    since: Number(event.since ?? 0),
    failing: Array.isArray(event.failing) ? event.failing.map(String) : [],
    counted: Number(event.counted ?? 0),
    ...(typeof event.error === 'string' && { error: event.error as ProbeErrorClass }),
  }));
}

/** One check's address states and its address timeline, in one read. */
export async function readAddressReport(
  ctx: { redis: Redis; keys: Pick<RedisKeys, 'addressStates'> },
  checkId: string,
): Promise<{ addresses: AddressState[]; events: AddressEvent[] }> {
  const hash = await ctx.redis.hgetall(ctx.keys.addressStates(checkId));
  return { addresses: parseAddressStates(hash), events: parseAddressEvents(hash) };
}
