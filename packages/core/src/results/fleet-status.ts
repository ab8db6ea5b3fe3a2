import type { CheckRegistry } from '../checks/check-registry.js';
import type { ProbeResult } from '../probes/probe-result.js';
import type { RoleContext } from '../runtime/context.js';
import { type AddressState, parseAddressStates } from './address-state.js';
import type { ResultStore } from './result-store.js';

export interface VantageResult {
  ok: boolean;
  round: number;
  totalMs: number;
  error: string | null;
  message: string | null;
  status: number | null;
  ageMs: number;
}

export interface CheckStatus {
  id: string;
  name: string;
  kind: string;
  paused: boolean;
  /** What the notifier decided across vantages: up, degraded, down, unknown (or new: not decided yet). */
  state: string;
  results: Record<string, VantageResult>;
  /** Each resolved address's state, for a check that probes every address of its name. */
  addresses?: AddressState[];
}

export interface StatusReport {
  checks: CheckStatus[];
  vantages: { id: string; lastSeenAgoMs: number | null }[];
}

function toVantageResult(result: ProbeResult, now: number): VantageResult {
  return {
    ok: result.ok,
    round: result.round,
    totalMs: Math.round(result.timings.total),
    error: result.error ?? null,
    message: result.message ?? null,
    status: result.status ?? null,
    ageMs: Math.max(0, now - result.finishedAt),
  };
}

/**
 * Every check (or only one owner's) with each vantage's latest result and the state the notifier
 * decided, and each vantage's last heartbeat: what `vigil status` shows.
 */
export async function buildStatus(
  ctx: Pick<RoleContext, 'redis' | 'keys' | 'clock'> & { checks: CheckRegistry; results: ResultStore },
  options: { owner?: string } = {},
): Promise<StatusReport> {
  const now = ctx.clock.now();
  const all = await ctx.checks.list();
  const checks = options.owner === undefined ? all : all.filter((check) => check.owner === options.owner);
  const latest = await ctx.results.latestMany(checks.map((check) => check.id));
  const heartbeats = await ctx.redis.hgetall(ctx.keys.vantageHeartbeats);
  const pipeline = ctx.redis.pipeline();
  for (const check of checks) {
    pipeline.hget(ctx.keys.checkState(check.id), 'state');
    pipeline.hgetall(ctx.keys.addressStates(check.id));
  }
  const replies = (await pipeline.exec()) ?? [];
  const states = checks.map((_, i) => replies[2 * i]?.[1]).map((state) => (typeof state === 'string' ? state : 'new'));
  const addresses = checks.map((_, i) => parseAddressStates((replies[2 * i + 1]?.[1] ?? {}) as Record<string, string>));
  return {
    checks: checks.map((check, i) => ({
      id: check.id,
      name: check.name,
      kind: check.kind,
      paused: check.paused,
      state: check.paused ? 'paused' : (states[i] ?? 'new'),
      ...((addresses[i]?.length ?? 0) > 0 && { addresses: addresses[i] }),
      results: Object.fromEntries(
        Object.entries(latest.get(check.id) ?? {})
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([vantage, result]) => [vantage, toVantageResult(result, now)]),
      ),
    })),
    vantages: Object.entries(heartbeats)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, at]) => ({ id, lastSeenAgoMs: Math.max(0, now - Number(at)) })),
  };
}
