import { z } from 'zod';
import { httpsUrlSchema } from '../../config/field-schemas.js';
import type { ChannelKindModule } from './channel-kind.js';

export const pagerDutyChannelSchema = z.strictObject({
  routingKey: z.string().min(1).max(64),
  /** The Events API v2 endpoint; change it only for a proxy. */
  url: httpsUrlSchema.default('https://events.pagerduty.com/v2/enqueue'),
  /** A V3 webhook subscription's secret: acknowledgements and resolves come back into Vigil, signed with it. */
  webhookSecret: z.string().min(16).max(200).optional(),
});

export const pagerDutyChannel = {
  summary: 'an alert through the PagerDuty Events API v2 (trigger, acknowledge, resolve)',
  example: `channels:
  - { id: pd, pagerduty: { routingKey: "\${PD_ROUTING_KEY}", webhookSecret: "\${PD_WEBHOOK_SECRET}" } }
`,
  schema: pagerDutyChannelSchema,
} satisfies ChannelKindModule;
