import { type ChannelSettings, type Person, readTelegramAckData, VigilError } from '@vigil/core';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { WebContext } from '../../context.js';
import { safeEqual } from '../../integrations/inbound.js';
import { providerRefusal } from '../../integrations/provider-refusal.js';
import { callBot } from '../../integrations/telegram-bot.js';
import { escapeHtml } from '../../status/page/escape.js';
import { type Route, route } from '../route.js';

const TELEGRAM_WEBHOOK_URL = '/integrations/telegram/webhook';
const SECRET_HEADER = 'x-telegram-bot-api-secret-token';
/** How long a callback query id is remembered: Telegram stops redelivering an update long before. */
const SEEN_TTL_MS = 2 * 86_400_000;

type TelegramSettings = ChannelSettings<'telegram'>;

/** The parts of a Telegram Update Vigil reads: a button press (callback_query) on one of its messages. */
const updateSchema = z.looseObject({
  update_id: z.int(),
  callback_query: z
    .looseObject({
      id: z.string().min(1).max(100),
      from: z.looseObject({
        id: z.int(),
        first_name: z.string().max(200),
        last_name: z.string().max(200).optional(),
        username: z.string().max(100).optional(),
      }),
      message: z
        .looseObject({
          message_id: z.int(),
          chat: z.looseObject({ id: z.int() }),
          text: z.string().max(8_000).optional(),
        })
        .optional(),
      data: z.string().max(64).optional(),
    })
    .optional(),
});
type CallbackQuery = NonNullable<z.output<typeof updateSchema>['callback_query']>;

/** The telegram channel whose webhook secret the request carries; refuses (403, logged) otherwise. */
function verify(ctx: WebContext, request: FastifyRequest): TelegramSettings {
  const bots = ctx.config.channels.flatMap((channel) => (channel.telegram?.webhookSecret ? [channel.telegram] : []));
  const header = request.headers[SECRET_HEADER];
  const given = typeof header === 'string' ? header : undefined;
  const bot =
    given === undefined ? undefined : bots.find((candidate) => safeEqual(given, candidate.webhookSecret ?? ''));
  if (bot) return bot;
  const reason =
    bots.length === 0
      ? 'no telegram channel has a webhookSecret'
      : given === undefined
        ? 'the secret token header is missing'
        : 'the secret token does not match';
  ctx.log.warn({ route: TELEGRAM_WEBHOOK_URL, reason }, 'telegram request refused');
  throw providerRefusal('Telegram', SECRET_HEADER, reason);
}

function parseUpdate(body: unknown): z.output<typeof updateSchema> {
  const parsed = updateSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || 'body', message: issue.message }));
  throw new VigilError('VALIDATION', `body: expected a Telegram Update (${issues[0]?.path})`, issues);
}

/** Who pressed: the person whose `telegram` contact is their user id, else their Telegram name. */
function presser(people: readonly Person[], from: CallbackQuery['from']): string {
  const person = people.find((candidate) => candidate.telegram === String(from.id));
  const name = person?.name ?? ([from.first_name, from.last_name].filter(Boolean).join(' ') || `@${from.username}`);
  return `${name} via telegram`;
}

/** Acknowledges the incident a genuine button names; the sentence to show the presser. */
async function acknowledge(ctx: WebContext, callback: CallbackQuery): Promise<{ text: string; by?: string }> {
  const target = callback.data === undefined ? undefined : readTelegramAckData(ctx.secret, callback.data);
  if (!target) {
    ctx.log.warn({ callback: callback.id }, 'telegram callback refused: not a Vigil button');
    return { text: 'This button is not one of Vigil’s.' };
  }
  const incident = await ctx.incidents.get(target.incidentId);
  if (!incident) return { text: `Incident ${target.incidentId} no longer exists.` };
  if (incident.episode !== target.episode) {
    ctx.log.info({ incident: incident.id, episode: target.episode }, 'telegram callback for an earlier episode');
    return { text: 'This page is for an earlier episode; use the latest page.' };
  }
  const by = presser(ctx.config.people, callback.from);
  const outcome = await ctx.incidents.acknowledge(incident.id, by, ctx.clock.now());
  ctx.log.info({ incident: incident.id, by, outcome }, 'acknowledged by telegram button');
  if (outcome === 'acknowledged') return { text: `Acknowledged by ${by}. Escalation has stopped.`, by };
  if (outcome === 'already') {
    const first = (await ctx.incidents.get(incident.id))?.acknowledgedBy ?? 'someone';
    return { text: `Already acknowledged by ${first}.`, by: first };
  }
  return { text: 'Already resolved: nothing to acknowledge.' };
}

/** Answers the press, and marks the message acknowledged (its button gone) when it is. */
async function answer(ctx: WebContext, bot: TelegramSettings, callback: CallbackQuery): Promise<void> {
  const result = await acknowledge(ctx, callback);
  await callBot(ctx.log, {
    bot,
    method: 'answerCallbackQuery',
    body: { callback_query_id: callback.id, text: result.text },
  });
  const message = callback.message;
  if (!message || result.by === undefined) return;
  const original = message.text ? `${escapeHtml(message.text)}\n\n` : '';
  await callBot(ctx.log, {
    bot,
    method: 'editMessageText',
    body: {
      chat_id: message.chat.id,
      message_id: message.message_id,
      text: `${original}<b>Acknowledged by ${escapeHtml(result.by)}</b>`,
      parse_mode: 'HTML',
      reply_markup: { inline_keyboard: [] },
    },
  });
}

/**
 * `/integrations/telegram/webhook`: the bot's webhook (setWebhook with `secret_token`). A press of a
 * page's Acknowledge button acknowledges as the person it maps to, once per callback query (a
 * redelivered update changes nothing), then answers the press and updates the message in place.
 */
export function telegramRoutes(ctx: WebContext): Route[] {
  return [
    route({
      method: 'POST',
      url: TELEGRAM_WEBHOOK_URL,
      summary: "A Telegram bot's webhook: Acknowledge buttons on pages",
      tag: 'public',
      access: 'public',
      async handler({ request }) {
        const bot = verify(ctx, request);
        const callback = parseUpdate(request.body).callback_query;
        if (!callback) return { ok: true };
        const fresh = await ctx.redis.set(ctx.keys.inboundSeen('telegram', callback.id), '1', 'PX', SEEN_TTL_MS, 'NX');
        if (fresh !== 'OK') {
          ctx.log.info({ callback: callback.id }, 'telegram callback replayed: ignored');
          return { ok: true };
        }
        await answer(ctx, bot, callback);
        return { ok: true };
      },
    }),
  ];
}
