import { createHash, timingSafeEqual } from 'node:crypto';
import { type EpisodeRef, isVigilError, type VigilError } from '@vigil/core';
import type { WebContext } from '../context.js';
import { providerRefusal } from './provider-refusal.js';

/** The providers that answer back into Vigil: each verifies its requests its own documented way. */
export type Provider = 'slack' | 'pagerduty' | 'opsgenie';

/** What a verified request asks: acknowledge, or resolve by hand (as `POST /api/v1/incidents/:id/resolve` does). */
export type InboundAction = 'acknowledge' | 'resolve';

export type InboundOutcome = 'acknowledged' | 'resolved' | 'already' | 'stale' | 'missing';

/** Compares two secrets (or signatures) in constant time, whatever their lengths. */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/**
 * Marks a verified request as handled (SET NX for `ttlMs`); false when it already was: a replay. Only a
 * request Vigil acts on is marked, so a refused one leaves nothing behind and a forger burns nothing.
 */
export async function firstTime(
  ctx: WebContext,
  provider: Provider,
  material: string,
  ttlMs: number,
): Promise<boolean> {
  const digest = createHash('sha256').update(material).digest('base64url');
  const key = ctx.keys.inboundSeen(provider, digest);
  return (await ctx.redis.set(key, String(ctx.clock.now()), 'PX', ttlMs, 'NX')) === 'OK';
}

const PROVIDER_NAMES: Record<Provider, string> = { slack: 'Slack', pagerduty: 'PagerDuty', opsgenie: 'Opsgenie' };

/**
 * A request refused (forged, stale, replayed, or no channel to check it with): nothing changed, one
 * log line says why (never the body, a header's value or a secret), and a 403 names the header at fault.
 */
export function refusal(ctx: WebContext, refused: { provider: Provider; header: string; reason: string }): VigilError {
  const { provider, header, reason } = refused;
  ctx.log.warn({ provider, reason }, `${provider} request refused: ${reason}`);
  return providerRefusal(PROVIDER_NAMES[provider], header, reason);
}

/**
 * Acknowledges (first wins) or resolves the episode a verified request names, as `by`; an earlier
 * episode, a missing incident or one already done changes nothing. The notifier then tells every
 * destination paged, the provider's message or alert included.
 */
export async function actOnEpisode(
  ctx: WebContext,
  request: { provider: Provider; ref: EpisodeRef; action: InboundAction; by: string },
): Promise<InboundOutcome> {
  const { provider, ref, action, by } = request;
  const now = ctx.clock.now();
  const incident = await ctx.incidents.get(ref.incidentId);
  let outcome: InboundOutcome;
  if (!incident) outcome = 'missing';
  else if (incident.episode !== ref.episode) outcome = 'stale';
  else {
    try {
      outcome =
        action === 'acknowledge'
          ? await acknowledged(ctx, ref.incidentId, by, now)
          : await ctx.incidents.resolve(ref.incidentId, by, now, `Resolved by ${by}.`);
    } catch (err) {
      if (!isVigilError(err, 'NOT_FOUND')) throw err;
      outcome = 'missing';
    }
  }
  ctx.log.info(
    { provider, incident: ref.incidentId, episode: ref.episode, action, by, outcome },
    `${action} from ${provider}`,
  );
  return outcome;
}

async function acknowledged(ctx: WebContext, id: string, by: string, now: number): Promise<InboundOutcome> {
  const outcome = await ctx.incidents.acknowledge(id, by, now);
  // Resolved already: nothing to acknowledge, which is "already" to whoever pressed.
  return outcome === 'resolved' ? 'already' : outcome;
}

/** Whether an incident's current episode paged a channel: an alert over there is one Vigil raised through it. */
export async function pagedThrough(
  ctx: WebContext,
  incidentId: string,
  channelIds: readonly string[],
): Promise<boolean> {
  for (const channelId of channelIds) {
    if (await ctx.redis.hexists(ctx.keys.incidentPaged(incidentId), `channel-${channelId}`)) return true;
  }
  return false;
}
