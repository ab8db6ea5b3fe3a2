import { channelTarget, parseEpisodeKey, type VigilConfig } from '@vigil/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { WebContext } from '../context.js';
import { actOnEpisode, firstTime, type InboundAction, pagedThrough, refuse, safeEqual } from './inbound.js';

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

/**
 * `POST /integrations/opsgenie/webhook`: Opsgenie's outgoing webhook. It is not signed, so it must
 * carry a channel's `webhookSecret` in `X-Vigil-Secret` (compared in constant time). `Acknowledge`
 * and `Close` of an alert Vigil raised through that channel (its alias is the episode's key)
 * acknowledge or resolve the episode in Vigil, each once.
 */
export async function opsgenieWebhook(ctx: WebContext, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const configured = opsgenieWebhookSecrets(ctx.config);
  if (configured.length === 0) {
    return refuse(ctx, reply, { provider: 'opsgenie', status: 404, reason: 'no opsgenie channel has a webhookSecret' });
  }
  const given = String(request.headers[OPSGENIE_SECRET_HEADER] ?? '');
  const verified = configured.filter(({ secret }) => safeEqual(given, secret));
  if (verified.length === 0) {
    const reason = given === '' ? 'unsigned (no X-Vigil-Secret header)' : 'forged (the secret does not match)';
    return refuse(ctx, reply, { provider: 'opsgenie', status: 401, reason });
  }
  const raw = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
  const parsed = readWebhook(raw);
  if (!parsed)
    return refuse(ctx, reply, { provider: 'opsgenie', status: 400, reason: 'the body is not an Opsgenie webhook' });
  const action = ACTIONS[parsed.action];
  const ref = parseEpisodeKey(parsed.alert.alias ?? '');
  const ours =
    ref !== undefined &&
    (await pagedThrough(
      ctx,
      ref.incidentId,
      verified.map((v) => v.channelId),
    ));
  if (!action || !ref || !ours) {
    ctx.log.info(
      { provider: 'opsgenie', action: parsed.action },
      'opsgenie webhook ignored: not an ack or close of an alert Vigil raised',
    );
    return reply.code(200).send({ ok: true, outcome: 'ignored' });
  }
  if (!(await firstTime(ctx, 'opsgenie', `${parsed.alert.alias}|${parsed.action}`, SEEN_TTL_MS))) {
    return refuse(ctx, reply, {
      provider: 'opsgenie',
      status: 403,
      reason: `replayed (${parsed.action} of this alert was handled)`,
    });
  }
  const by = `${parsed.alert.username ?? parsed.source?.name ?? 'someone'} via opsgenie`;
  const outcome = await actOnEpisode(ctx, { provider: 'opsgenie', ref, action, by });
  return reply.code(200).send({ ok: true, outcome });
}

function readWebhook(raw: string): z.output<typeof webhookSchema> | undefined {
  try {
    const parsed = webhookSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
