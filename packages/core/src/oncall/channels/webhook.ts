import { z } from 'zod';
import { httpsUrlSchema } from '../../config/field-schemas.js';
import type { ChannelKindModule } from './channel-kind.js';

export const webhookChannelSchema = z.strictObject({ url: httpsUrlSchema });

export const webhookChannel = {
  summary: 'a signed JSON POST (HMAC of the timestamp and body with VIGIL_SECRET)',
  schema: webhookChannelSchema,
  /** A person's own webhook, signed like channel webhooks. */
  contact: httpsUrlSchema,
} satisfies ChannelKindModule;
