import { z } from 'zod';
import { httpsUrlSchema } from '../../config/field-schemas.js';
import type { ChannelKindModule } from './channel-kind.js';

export const webhookChannelSchema = z.strictObject({ url: httpsUrlSchema });

export const webhookChannel = {
  summary: 'a signed JSON POST (HMAC of the timestamp and body with VIGIL_SECRET)',
  example: `channels:
  - { id: provider, webhook: { url: https://status.provider.example/hooks/vigil } }
people:
  - { id: bo, name: Bo, webhook: https://hooks.example.com/bo }
`,
  schema: webhookChannelSchema,
  /** A person's own webhook, signed like channel webhooks. */
  contact: httpsUrlSchema,
} satisfies ChannelKindModule;
