import { channelTarget, parseEpisodeKey, type VigilConfig, VigilError } from '@vigil/core';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Route, route } from '../api/route.js';
import type { WebContext } from '../context.js';
import { actOnEpisode, firstTime, type InboundAction, pagedThrough, refusal, safeEqual } from './inbound.js';

const OPSGENIE_WEBHOOK_URL = '/integrations/opsgenie/webhook';
/** The header Opsgenie's webhook integration is set to send (its outgoing webhooks are not signed). */
export const OPSGENIE_SECRET_HEADER = 'x-vigil-secret';
/** An (alert, action) is acted on once for this long. */
const SEEN_TTL_MS = 30 * 86_400_000;

/** An outgoing webhook of Opsgenie's Webhook integration, the fields Vigil reads. */
const webhookSchema = z.looseObject({
  action: z.string().max(100),
  alert: z.looseObject({
    alias: z.string().max(512).optional(),
    username: z.string().max(200).optional(),
  }),
  source: z.looseObject({ name: z.string().max(200).optional() }).optional(),
});

const ACTIONS: Record<string, InboundAction> = { Acknowledge: 'acknowledge', Close: 'resolve' };

/** The Opsgenie channels that take webhooks back, with their shared secrets. */
export function opsgenieWebhookSecrets(config: Pick<VigilConfig, 'channels'>): { channelId: string; secret: string }[] {
  return config.channels.flatMap((channel) => {
    const target = channelTarget(channel);
    return target.kind === 'opsgenie' && target.webhookSecret
      ? [{ channelId: channel.id, secret: target.webhookSecret }]
      : [];
  });
}

/** The channels whose shared secret the request carries; refuses (403, logged) otherwise. */
function verify(ctx: WebContext, request: FastifyRequest): string[] {
  const configured = opsgenieWebhookSecrets(ctx.config);
  const refuse = (reason: string) => refusal(ctx, { provider: 'opsgenie', header: OPSGENIE_SECRET_HEADER, reason });
  if (configured.length === 0) throw refuse('no opsgenie channel has a webhookSecret');
  const header = request.headers[OPSGENIE_SECRET_HEADER];
  if (typeof header !== 'string' || header === '') throw refuse('unsigned (no X-Vigil-Secret header)');
  const verified = configured.filter(({ secret }) => safeEqual(header, secret));
  if (verified.length === 0) throw refuse('forged (the secret does not match)');
  return verified.map(({ channelId }) => channelId);
}

function parseWebhook(body: unknown): z.output<typeof webhookSchema> {
  const parsed = webhookSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || 'body', message: issue.message }));
  throw new VigilError('VALIDATION', `body: expected an Opsgenie webhook (${issues[0]?.path})`, issues);
}

/**
 * `POST /integrations/opsgenie/webhook`: Opsgenie's outgoing webhook. It is not signed, so it must
 * carry a channel's `webhookSecret` in `X-Vigil-Secret` (compared in constant time). `Acknowledge`
 * and `Close` of an alert Vigil raised through that channel (its alias is the episode's key)
 * acknowledge or resolve the episode in Vigil, each once.
 */
export function opsgenieRoutes(ctx: WebContext): Route[] {
  return [
    route({
      method: 'POST',
      url: OPSGENIE_WEBHOOK_URL,
      summary: "Opsgenie's outgoing webhook: alerts acknowledged or closed there",
      tag: 'public',
      access: 'public',
      async handler({ request }) {
        const channels = verify(ctx, request);
        const webhook = parseWebhook(request.body);
        const action = ACTIONS[webhook.action];
        const ref = parseEpisodeKey(webhook.alert.alias ?? '');
        if (!action || !ref || !(await pagedThrough(ctx, ref.incidentId, channels))) {
          ctx.log.info(
            { provider: 'opsgenie', action: webhook.action },
            'opsgenie webhook ignored: not about a Vigil alert',
          );
          return { ok: true, outcome: 'ignored' };
        }
        if (!(await firstTime(ctx, 'opsgenie', `${webhook.alert.alias}|${webhook.action}`, SEEN_TTL_MS))) {
          throw refusal(ctx, { provider: 'opsgenie', header: 'action', reason: 'replayed (this action was handled)' });
        }
        const by = `${webhook.alert.username ?? webhook.source?.name ?? 'someone'} via opsgenie`;
        return { ok: true, outcome: await actOnEpisode(ctx, { provider: 'opsgenie', ref, action, by }) };
      },
    }),
  ];
}
