import { VigilError, verifyPushoverCallback } from '@vigil/core';
import { z } from 'zod';
import { type Route, route } from '../api/route.js';
import type { WebContext } from '../context.js';

/** What the notifier's Pushover channel puts in the callback URL: the incident episode, who, and its signature. */
const callbackQuery = z.strictObject({
  incident: z.string().min(1).max(200),
  episode: z.coerce.number().int().min(1).max(1_000_000_000),
  by: z.string().min(1).max(200),
  sig: z.string().min(1).max(100),
});

/** What Pushover posts when an emergency notification is acknowledged (https://pushover.net/api/receipts#callback). */
const callbackBody = z
  .object({
    receipt: z.string().max(100),
    acknowledged: z.string().max(10),
    acknowledged_at: z.string().max(20),
    acknowledged_by: z.string().max(100),
    acknowledged_by_device: z.string().max(100),
  })
  .partial()
  .optional();

export type PushoverCallbackOutcome = 'acknowledged' | 'already' | 'resolved' | 'stale';

/**
 * `POST /integrations/pushover/callback`: Pushover calls it when someone acknowledges an emergency
 * page. Pushover signs nothing, so the URL carries Vigil's own HMAC of what it acknowledges; a forged
 * or altered URL gets 403 and changes nothing, an earlier episode's callback changes nothing, and the
 * first acknowledgement wins (`<person> via pushover`).
 */
export function pushoverCallbackRoutes(ctx: WebContext): Route[] {
  return [
    route({
      method: 'POST',
      url: '/integrations/pushover/callback',
      summary: 'Acknowledge an incident from a Pushover emergency page (signed callback URL)',
      tag: 'public',
      access: 'public',
      query: callbackQuery,
      body: callbackBody,
      async handler({ query, body }): Promise<{ outcome: PushoverCallbackOutcome }> {
        const ref = { incidentId: query.incident, episode: query.episode, by: query.by };
        const fields = { incident: ref.incidentId, episode: ref.episode, receipt: body?.receipt };
        if (!verifyPushoverCallback(ctx.secret, ref, query.sig)) {
          ctx.log.warn(fields, 'pushover callback refused: its signature does not match (forged or altered URL)');
          throw new VigilError('FORBIDDEN', 'sig: this callback URL was not signed by Vigil', [
            { path: 'sig', message: 'expected the signature Vigil put in the callback URL' },
          ]);
        }
        const incident = await ctx.incidents.get(ref.incidentId);
        if (!incident) {
          const message = `incident ${ref.incidentId} not found`;
          throw new VigilError('NOT_FOUND', message, [{ path: 'incident', message }]);
        }
        if (incident.episode !== ref.episode) {
          ctx.log.warn(
            { ...fields, current: incident.episode },
            'pushover callback ignored: it is for an earlier episode of the incident',
          );
          return { outcome: 'stale' };
        }
        const outcome = await ctx.incidents.acknowledge(ref.incidentId, `${ref.by} via pushover`, ctx.clock.now());
        ctx.log.info({ ...fields, by: ref.by, outcome }, 'acknowledged from pushover');
        return { outcome };
      },
    }),
  ];
}
