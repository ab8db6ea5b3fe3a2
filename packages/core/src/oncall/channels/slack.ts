import { z } from 'zod';
import { httpsUrlSchema } from '../../config/field-schemas.js';
import type { ChannelKindModule } from './channel-kind.js';

export const slackChannelSchema = z.strictObject({ webhookUrl: httpsUrlSchema });

export const slackChannel = {
  summary: 'a message through a Slack incoming webhook',
  schema: slackChannelSchema,
} satisfies ChannelKindModule;
