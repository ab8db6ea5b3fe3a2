import { createHmac } from 'node:crypto';
import { channelTarget, parseEpisodeKey, type VigilConfig, VigilError } from '@vigil/core';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Route, route } from '../api/route.js';
import type { WebContext } from '../context.js';
import { actOnEpisode, firstTime, type InboundAction, pagedThrough, refusal, safeEqual } from './inbound.js';
import { rawBody } from './raw-body.js';

const PAGERDUTY_WEBHOOK_URL = '/integrations/pagerduty/webhook';
const SIGNATURE_HEADER = 'x-pagerduty-signature';
/** Event ids are kept this long: PagerDuty retries a delivery for far less. */
const SEEN_TTL_MS = 7 * 86_400_000;

/** A V3 webhook event, the fields Vigil reads (https://developer.pagerduty.com/docs/webhooks-overview). */
const eventSchema = z.looseObject({
  event: z.looseObject({
    id: z.string().min(1).max(200),
    event_type: z.string().max(100),
    agent: z.looseObject({ summary: z.string().max(200).optional() }).nullish(),
    data: z.looseObject({ incident_key: z.string().max(500).nullish() }),
  }),
});

const ACTIONS: Record<string, InboundAction> = {
  'incident.acknowledged': 'acknowledge',
  'incident.resolved': 'resolve',
};

/** The PagerDuty channels that take webhooks back, with their secrets. */
export function pagerDutyWebhookSecrets(
  config: Pick<VigilConfig, 'channels'>,
): { channelId: string; secret: string }[] {
  return config.channels.flatMap((channel) => {
    const target = channelTarget(channel);
    return target.kind === 'pagerduty' && target.webhookSecret
      ? [{ channelId: channel.id, secret: target.webhookSecret }]
      : [];
  });
}

/** `v1=` + HMAC-SHA256(webhook secret, raw body) in hex, as PagerDuty signs. */
export function pagerDutySignature(secret: string, rawBody: string): string {
  return `v1=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** The channels whose secret signed the request (any of its `v1=` signatures); refuses (403, logged) otherwise. */
function verify(ctx: WebContext, request: FastifyRequest): string[] {
  const configured = pagerDutyWebhookSecrets(ctx.config);
  const refuse = (reason: string) => refusal(ctx, { provider: 'pagerduty', header: SIGNATURE_HEADER, reason });
  if (configured.length === 0) throw refuse('no pagerduty channel has a webhookSecret');
  const header = request.headers[SIGNATURE_HEADER];
  const given = (typeof header === 'string' ? header : '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .slice(0, 10);
  const raw = rawBody(request);
  if (given.length === 0 || raw === undefined) throw refuse('unsigned (no v1 signature over a JSON body)');
  const verified = configured.filter(({ secret }) => {
    const expected = pagerDutySignature(secret, raw);
    return given.some((signature) => safeEqual(signature, expected));
  });
  if (verified.length === 0) throw refuse('forged (no signature matches)');
  return verified.map(({ channelId }) => channelId);
}

function parseEvent(body: unknown): z.output<typeof eventSchema>['event'] {
  const parsed = eventSchema.safeParse(body);
  if (parsed.success) return parsed.data.event;
  const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || 'body', message: issue.message }));
  throw new VigilError('VALIDATION', `body: expected a PagerDuty V3 webhook event (${issues[0]?.path})`, issues);
}

/**
 * `POST /integrations/pagerduty/webhook`: a V3 webhook subscription's events. Verified by
 * `X-PagerDuty-Signature` (any of its comma-separated `v1=` signatures, constant-time), each event
 * once; `incident.acknowledged` and `incident.resolved` on an alert Vigil raised through a channel of
 * that secret acknowledge or resolve the episode in Vigil. Other events are answered 200 and ignored.
 */
export function pagerDutyRoutes(ctx: WebContext): Route[] {
  return [
    route({
      method: 'POST',
      url: PAGERDUTY_WEBHOOK_URL,
      summary: 'PagerDuty V3 webhooks: incidents acknowledged or resolved there',
      tag: 'public',
      access: 'public',
      async handler({ request }) {
        const channels = verify(ctx, request);
        const event = parseEvent(request.body);
        const action = ACTIONS[event.event_type];
        const ref = parseEpisodeKey(event.data.incident_key ?? '');
        if (!action || !ref || !(await pagedThrough(ctx, ref.incidentId, channels))) {
          ctx.log.info(
            { provider: 'pagerduty', type: event.event_type },
            'pagerduty event ignored: not about a Vigil alert',
          );
          return { ok: true, outcome: 'ignored' };
        }
        if (!(await firstTime(ctx, 'pagerduty', event.id, SEEN_TTL_MS))) {
          throw refusal(ctx, {
            provider: 'pagerduty',
            header: 'event.id',
            reason: 'replayed (this event was handled)',
          });
        }
        const by = `${event.agent?.summary ?? 'someone'} via pagerduty`;
        return { ok: true, outcome: await actOnEpisode(ctx, { provider: 'pagerduty', ref, action, by }) };
      },
    }),
  ];
}
