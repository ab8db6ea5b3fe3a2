import { z } from 'zod';
import { httpsUrlSchema } from '../../config/field-schemas.js';
import type { ChannelKindModule } from './channel-kind.js';

export const opsgenieChannelSchema = z.strictObject({
  /** An API integration's key, sent as `Authorization: GenieKey <key>`. */
  apiKey: z.string().min(8).max(200),
  /** `https://api.eu.opsgenie.com` for an account in the EU instance. */
  apiBase: httpsUrlSchema.default('https://api.opsgenie.com'),
  /**
   * Opsgenie's outgoing webhooks are not signed: the webhook integration sends this secret in the
   * `X-Vigil-Secret` header, and acknowledgements and closes come back into Vigil only with it.
   */
  webhookSecret: z.string().min(16).max(200).optional(),
});

export const opsgenieChannel = {
  summary: 'an alert through the Opsgenie Alert API (create, acknowledge, close by alias)',
  example: `channels:
  - { id: og, opsgenie: { apiKey: "\${OPSGENIE_API_KEY}", webhookSecret: "\${OPSGENIE_HOOK_SECRET}" } }
`,
  schema: opsgenieChannelSchema,
} satisfies ChannelKindModule;
