import { z } from 'zod';
import { httpsUrlSchema } from '../../config/field-schemas.js';
import type { ChannelKindModule } from './channel-kind.js';

/** A Discord channel webhook (`https://discord.com/api/webhooks/<id>/<token>`); the URL is the credential. */
export const discordChannelSchema = z.strictObject({ webhookUrl: httpsUrlSchema });

export const discordChannel = {
  summary: 'an embed through a Discord webhook (mentions never ping)',
  example: `channels:
  - { id: discord-ops, discord: { webhookUrl: "\${DISCORD_WEBHOOK}" } }
`,
  schema: discordChannelSchema,
} satisfies ChannelKindModule;
