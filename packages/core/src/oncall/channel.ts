import { z } from 'zod';
import { slugSchema } from '../checks/check.js';
import { emailSchema, httpsUrlSchema } from '../config/field-schemas.js';

export const CHANNEL_KINDS = ['email', 'webhook', 'slack', 'pagerduty'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export const channelSchema = z
  .strictObject({
    id: slugSchema,
    email: z.strictObject({ to: z.array(emailSchema).min(1) }).optional(),
    webhook: z.strictObject({ url: httpsUrlSchema }).optional(),
    slack: z.strictObject({ webhookUrl: httpsUrlSchema }).optional(),
    pagerduty: z
      .strictObject({
        routingKey: z.string().min(1).max(64),
        /** The Events API v2 endpoint; change it only for a proxy. */
        url: httpsUrlSchema.default('https://events.pagerduty.com/v2/enqueue'),
      })
      .optional(),
  })
  .refine((channel) => CHANNEL_KINDS.filter((kind) => channel[kind] !== undefined).length === 1, {
    error: `expected exactly one of ${CHANNEL_KINDS.join(', ')}`,
  });
export type ChannelConfig = z.output<typeof channelSchema>;
