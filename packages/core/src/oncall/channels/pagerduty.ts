import { z } from 'zod';
import { httpsUrlSchema } from '../../config/field-schemas.js';
import type { ChannelKindModule } from './channel-kind.js';

export const pagerDutyChannelSchema = z.strictObject({
  routingKey: z.string().min(1).max(64),
  /** The Events API v2 endpoint; change it only for a proxy. */
  url: httpsUrlSchema.default('https://events.pagerduty.com/v2/enqueue'),
});

export const pagerDutyChannel = {
  summary: 'an alert through the PagerDuty Events API v2 (trigger, acknowledge, resolve)',
  schema: pagerDutyChannelSchema,
} satisfies ChannelKindModule;
