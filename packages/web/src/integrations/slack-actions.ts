import { createHmac } from 'node:crypto';
import { channelTarget, SLACK_ACTIONS, type VigilConfig, verifyEpisodeRef } from '@vigil/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { WebContext } from '../context.js';
import { actOnEpisode, firstTime, type InboundAction, refuse, safeEqual } from './inbound.js';

/** Slack's documented window: a request signed more than five minutes from now is refused. */
export const SLACK_MAX_SKEW_S = 5 * 60;
/** Seen signatures are kept past the window both ways, so a replay inside it is refused. */
const SEEN_TTL_MS = 2 * SLACK_MAX_SKEW_S * 1000 + 60_000;

/** The part of a `block_actions` interaction Vigil reads (https://api.slack.com/reference/interaction-payloads/block-actions). */
const payloadSchema = z.looseObject({
  type: z.string(),
  user: z.looseObject({
    id: z.string().min(1).max(64),
    username: z.string().max(200).optional(),
    name: z.string().max(200).optional(),
  }),
  actions: z.array(z.looseObject({ action_id: z.string().max(255), value: z.string().max(2000).optional() })).max(25),
});

/** The signing secrets of the app-mode Slack channels. */
export function slackSigningSecrets(config: Pick<VigilConfig, 'channels'>): string[] {
  return config.channels.flatMap((channel) => {
    const target = channelTarget(channel);
    return target.kind === 'slack' && 'signingSecret' in target ? [target.signingSecret] : [];
  });
}

/** `v0=` + HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`) in hex, as Slack signs. */
export function slackSignature(secret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

const ACTIONS: Record<string, InboundAction> = {
  [SLACK_ACTIONS.acknowledge]: 'acknowledge',
  [SLACK_ACTIONS.resolve]: 'resolve',
};

/** Who pressed: the person whose `slack.userId` it is, else the Slack user's own name. */
function presser(config: VigilConfig, user: z.output<typeof payloadSchema>['user']): string {
  const person = config.people.find((p) => p.slack?.userId === user.id);
  return person?.name ?? user.username ?? user.name ?? user.id;
}

/**
 * `POST /integrations/slack/actions`: a press on an app-mode message's button. Verified by Slack's
 * signature (signing secret, timestamp within five minutes, constant-time compare), once; then the
 * button's signed reference names the episode, acknowledged or resolved as the person who pressed.
 */
export async function slackActions(ctx: WebContext, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const secrets = slackSigningSecrets(ctx.config);
  if (secrets.length === 0) {
    return refuse(ctx, reply, { provider: 'slack', status: 404, reason: 'no Slack channel in app mode is configured' });
  }
  const raw = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
  const timestamp = String(request.headers['x-slack-request-timestamp'] ?? '');
  const signature = String(request.headers['x-slack-signature'] ?? '');
  if (!/^\d{1,12}$/.test(timestamp) || !signature.startsWith('v0=')) {
    return refuse(ctx, reply, {
      provider: 'slack',
      status: 401,
      reason: 'unsigned (no X-Slack-Signature or timestamp)',
    });
  }
  if (Math.abs(ctx.clock.now() / 1000 - Number(timestamp)) > SLACK_MAX_SKEW_S) {
    return refuse(ctx, reply, { provider: 'slack', status: 401, reason: 'stale timestamp (more than 5 minutes off)' });
  }
  if (!secrets.some((secret) => safeEqual(signature, slackSignature(secret, timestamp, raw)))) {
    return refuse(ctx, reply, { provider: 'slack', status: 401, reason: 'forged (the signature does not match)' });
  }
  const payload = readPayload(raw);
  const action =
    payload?.type === 'block_actions' ? payload.actions.find((a) => ACTIONS[a.action_id] !== undefined) : undefined;
  if (!payload || !action) {
    ctx.log.info({ provider: 'slack' }, 'slack interaction ignored: not a press on a Vigil button');
    return reply.code(200).send();
  }
  const ref = verifyEpisodeRef(ctx.secret, action.value ?? '');
  if (!ref) {
    return refuse(ctx, reply, {
      provider: 'slack',
      status: 403,
      reason: "the button's incident reference is not signed by Vigil",
    });
  }
  // Marked only once the request is one Vigil acts on: a refused request leaves nothing behind.
  if (!(await firstTime(ctx, 'slack', signature, SEEN_TTL_MS))) {
    return refuse(ctx, reply, { provider: 'slack', status: 403, reason: 'replayed (this signed request was handled)' });
  }
  const by = `${presser(ctx.config, payload.user)} via slack`;
  await actOnEpisode(ctx, { provider: 'slack', ref, action: ACTIONS[action.action_id] ?? 'acknowledge', by });
  // Slack wants a quick empty 200; the notifier updates the message in place from the incident's event.
  return reply.code(200).send();
}

function readPayload(raw: string): z.output<typeof payloadSchema> | undefined {
  try {
    const json = new URLSearchParams(raw).get('payload');
    const parsed = payloadSchema.safeParse(json === null ? undefined : JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
