import { createHmac } from 'node:crypto';
import { channelTarget, SLACK_ACTIONS, type VigilConfig, verifyEpisodeRef } from '@vigil/core';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Route, route } from '../api/route.js';
import type { WebContext } from '../context.js';
import { formValue } from './form-body.js';
import { actOnEpisode, firstTime, type InboundAction, refusal, safeEqual } from './inbound.js';
import { rawBody } from './raw-body.js';

const SLACK_ACTIONS_URL = '/integrations/slack/actions';
const SIGNATURE_HEADER = 'x-slack-signature';
const TIMESTAMP_HEADER = 'x-slack-request-timestamp';
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
type SlackPayload = z.output<typeof payloadSchema>;

const ACTIONS: Record<string, InboundAction> = {
  [SLACK_ACTIONS.acknowledge]: 'acknowledge',
  [SLACK_ACTIONS.resolve]: 'resolve',
};

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

/** Checks Slack's signature over the raw body and its timestamp; returns the signature, refuses (403, logged) otherwise. */
function verify(ctx: WebContext, request: FastifyRequest): string {
  const secrets = slackSigningSecrets(ctx.config);
  const refuse = (header: string, reason: string) => refusal(ctx, { provider: 'slack', header, reason });
  if (secrets.length === 0)
    throw refuse(SIGNATURE_HEADER, 'no slack channel in app mode (signingSecret) is configured');
  const timestamp = request.headers[TIMESTAMP_HEADER];
  const signature = request.headers[SIGNATURE_HEADER];
  const raw = rawBody(request);
  if (typeof signature !== 'string' || !signature.startsWith('v0=') || raw === undefined) {
    throw refuse(SIGNATURE_HEADER, 'unsigned (no v0 signature over a form body)');
  }
  if (typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) {
    throw refuse(TIMESTAMP_HEADER, 'unsigned (no request timestamp)');
  }
  if (Math.abs(ctx.clock.now() / 1000 - Number(timestamp)) > SLACK_MAX_SKEW_S) {
    throw refuse(TIMESTAMP_HEADER, 'stale timestamp (more than 5 minutes off)');
  }
  if (!secrets.some((secret) => safeEqual(signature, slackSignature(secret, timestamp, raw)))) {
    throw refuse(SIGNATURE_HEADER, 'forged (the signature does not match)');
  }
  return signature;
}

function readPayload(body: unknown): SlackPayload | undefined {
  try {
    const json = formValue(body, 'payload');
    const parsed = payloadSchema.safeParse(json === undefined ? undefined : JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Who pressed: the person whose `slack.userId` it is, else the Slack user's own name. */
function presser(config: VigilConfig, user: SlackPayload['user']): string {
  const person = config.people.find((p) => p.slack?.userId === user.id);
  return person?.name ?? user.username ?? user.name ?? user.id;
}

/**
 * `POST /integrations/slack/actions`: a press on an app-mode message's button. Verified by Slack's
 * signature (signing secret, timestamp within five minutes, constant-time compare), once; then the
 * button's signed reference names the episode, acknowledged or resolved as the person who pressed.
 * Slack wants a quick empty 200: the notifier updates the message in place from the incident's event.
 */
export function slackRoutes(ctx: WebContext): Route[] {
  return [
    route({
      method: 'POST',
      url: SLACK_ACTIONS_URL,
      summary: "A Slack app's interactivity requests: Acknowledge and Resolve buttons on pages",
      tag: 'public',
      access: 'public',
      async handler({ request, reply }) {
        const signature = verify(ctx, request);
        const payload = readPayload(request.body);
        const action =
          payload?.type === 'block_actions'
            ? payload.actions.find((a) => ACTIONS[a.action_id] !== undefined)
            : undefined;
        if (!payload || !action) {
          ctx.log.info({ provider: 'slack' }, 'slack interaction ignored: not a press on a Vigil button');
          return reply.code(200).send();
        }
        const ref = verifyEpisodeRef(ctx.secret, action.value ?? '');
        if (!ref)
          throw refusal(ctx, { provider: 'slack', header: 'payload', reason: 'the button is not one of Vigil’s' });
        if (!(await firstTime(ctx, 'slack', signature, SEEN_TTL_MS))) {
          throw refusal(ctx, {
            provider: 'slack',
            header: SIGNATURE_HEADER,
            reason: 'replayed (this request was handled)',
          });
        }
        const by = `${presser(ctx.config, payload.user)} via slack`;
        await actOnEpisode(ctx, { provider: 'slack', ref, action: ACTIONS[action.action_id] ?? 'acknowledge', by });
        return reply.code(200).send();
      },
    }),
  ];
}
