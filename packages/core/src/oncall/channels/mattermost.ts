import { z } from 'zod';
import { httpsUrlSchema } from '../../config/field-schemas.js';
import type { ChannelKindModule } from './channel-kind.js';

/** Mattermost and Rocket.Chat take Slack-style incoming webhooks, each with its own limits and fields. */
export const MATTERMOST_FLAVOURS = ['mattermost', 'rocketchat'] as const;

export const mattermostChannelSchema = z.strictObject({
  webhookUrl: httpsUrlSchema,
  flavour: z.enum(MATTERMOST_FLAVOURS).default('mattermost'),
});

export const mattermostChannel = {
  summary: 'a message with an attachment through a Mattermost or Rocket.Chat incoming webhook (flavour)',
  example: `channels:
  - { id: mm-ops, mattermost: { webhookUrl: "\${MATTERMOST_HOOK}" } }
  - { id: rc-ops, mattermost: { webhookUrl: "\${ROCKETCHAT_HOOK}", flavour: rocketchat } }
`,
  schema: mattermostChannelSchema,
} satisfies ChannelKindModule;
