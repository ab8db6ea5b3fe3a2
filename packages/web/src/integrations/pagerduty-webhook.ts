import { createHmac } from 'node:crypto';
import { channelTarget, parseEpisodeKey, type VigilConfig } from '@vigil/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { WebContext } from '../context.js';
import { actOnEpisode, firstTime, type InboundAction, pagedThrough, refuse, safeEqual } from './inbound.js';

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

/**
 * `POST /integrations/pagerduty/webhook`: a V3 webhook subscription's events. Verified by
 * `X-PagerDuty-Signature` (any of its comma-separated `v1=` signatures, constant-time), each event
 * once; `incident.acknowledged` and `incident.resolved` on an alert Vigil raised through a channel of
 * that secret acknowledge or resolve the episode in Vigil.
 */
export async function pagerDutyWebhook(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const configured = pagerDutyWebhookSecrets(ctx.config);
  if (configured.length === 0) {
    return refuse(ctx, reply, {
      provider: 'pagerduty',
      status: 404,
      reason: 'no pagerduty channel has a webhookSecret',
    });
  }
  const raw = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
  const given = String(request.headers['x-pagerduty-signature'] ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .slice(0, 10);
  if (given.length === 0) {
    return refuse(ctx, reply, { provider: 'pagerduty', status: 401, reason: 'unsigned (no v1 X-PagerDuty-Signature)' });
  }
  const verified = configured.filter(({ secret }) => {
    const expected = pagerDutySignature(secret, raw);
    return given.some((signature) => safeEqual(signature, expected));
  });
  if (verified.length === 0) {
    return refuse(ctx, reply, { provider: 'pagerduty', status: 401, reason: 'forged (no signature matches)' });
  }
  const parsed = readEvent(raw);
  if (!parsed)
    return refuse(ctx, reply, { provider: 'pagerduty', status: 400, reason: 'the body is not a V3 webhook event' });
  const { event } = parsed;
  if (!(await firstTime(ctx, 'pagerduty', event.id, SEEN_TTL_MS))) {
    return refuse(ctx, reply, {
      provider: 'pagerduty',
      status: 403,
      reason: `replayed (event ${event.id} was handled)`,
    });
  }
  const action = ACTIONS[event.event_type];
  const ref = parseEpisodeKey(event.data.incident_key ?? '');
  const ours =
    ref !== undefined &&
    (await pagedThrough(
      ctx,
      ref.incidentId,
      verified.map((v) => v.channelId),
    ));
  if (!action || !ref || !ours) {
    ctx.log.info(
      { provider: 'pagerduty', type: event.event_type },
      'pagerduty event ignored: not an ack or resolve of an alert Vigil raised',
    );
    return reply.code(200).send({ ok: true, outcome: 'ignored' });
  }
  const by = `${event.agent?.summary ?? 'someone'} via pagerduty`;
  const outcome = await actOnEpisode(ctx, { provider: 'pagerduty', ref, action, by });
  return reply.code(200).send({ ok: true, outcome });
}

function readEvent(raw: string): z.output<typeof eventSchema> | undefined {
  try {
    const parsed = eventSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
