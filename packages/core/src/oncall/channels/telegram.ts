import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { httpsUrlSchema } from '../../config/field-schemas.js';
import type { ChannelKindModule } from './channel-kind.js';

/** A chat id (a user's, a group's: may be negative) or a public channel's `@username`; read as text. */
export const telegramChatSchema = z
  .union([
    z.int(),
    z
      .string()
      .regex(/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/, { error: 'expected a Telegram chat id or @channelname' }),
  ])
  .transform(String);

export const telegramChannelSchema = z.strictObject({
  /** `123456:ABC-…` from BotFather. */
  botToken: z.string().regex(/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/, { error: 'expected a Telegram bot token' }),
  /** Where a channel destination's pages go; people's `telegram` contacts go through the first telegram channel. */
  chatId: telegramChatSchema.optional(),
  /** The `secret_token` given to setWebhook: Telegram sends it back in X-Telegram-Bot-Api-Secret-Token. */
  webhookSecret: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,256}$/, { error: 'expected 16 to 256 of A-Z, a-z, 0-9, _ and -' })
    .optional(),
  /** The Bot API; change it only for a self-hosted Bot API server (or a test's fake). */
  apiBase: httpsUrlSchema.default('https://api.telegram.org'),
});

export const telegramChannel = {
  summary: 'a message from a Telegram bot with an Acknowledge button (Bot API)',
  example: `channels:
  - id: tg
    telegram:
      botToken: "\${TG_BOT_TOKEN}"
      chatId: -1001234567890            # for \`channel:tg\`; people use their telegram (user) id
      webhookSecret: "\${TG_WEBHOOK_SECRET}"
people:
  - { id: ana, name: Ana, telegram: 123456789 }
`,
  schema: telegramChannelSchema,
  /** A person's chat id with the bot (their user id), paged through the first declared telegram channel. */
  contact: telegramChatSchema,
  contactThroughChannel: true,
} satisfies ChannelKindModule;

/** Telegram carries at most this many bytes of `callback_data` on a button. */
export const TELEGRAM_CALLBACK_MAX = 64;

function callbackSignature(secret: string, incidentId: string, episode: number): string {
  return createHmac('sha256', secret).update(`telegram-ack.${incidentId}.${episode}`).digest('base64url').slice(0, 16);
}

/**
 * The Acknowledge button's data, `a:<incident>:<episode>:<mac>`, signed because a modified client can
 * send any data back; undefined when it would not fit in Telegram's 64 bytes.
 */
export function telegramAckData(secret: string, incident: { id: string; episode: number }): string | undefined {
  const data = `a:${incident.id}:${incident.episode}:${callbackSignature(secret, incident.id, incident.episode)}`;
  return Buffer.byteLength(data) <= TELEGRAM_CALLBACK_MAX ? data : undefined;
}

/** The incident and episode of a genuine Acknowledge button's data; undefined for anything else. */
export function readTelegramAckData(secret: string, data: string): { incidentId: string; episode: number } | undefined {
  const match = /^a:([^:]{1,60}):(\d{1,9}):([A-Za-z0-9_-]{16})$/.exec(data);
  if (!match) return undefined;
  const [, incidentId = '', episodeText = '', mac = ''] = match;
  const episode = Number(episodeText);
  const expected = Buffer.from(callbackSignature(secret, incidentId, episode));
  const given = Buffer.from(mac);
  return given.length === expected.length && timingSafeEqual(given, expected) ? { incidentId, episode } : undefined;
}
