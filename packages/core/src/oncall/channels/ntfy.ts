import { z } from 'zod';
import { httpsUrlSchema } from '../../config/field-schemas.js';
import type { ChannelKindModule } from './channel-kind.js';

/** ntfy's topic names: letters, digits, `-` and `_`, at most 64 (anyone who knows a topic can read it). */
export const ntfyTopicSchema = z
  .string()
  .regex(/^[-_A-Za-z0-9]{1,64}$/, { error: 'expected an ntfy topic: 1 to 64 letters, digits, - or _' });

export const NTFY_DEFAULT_SERVER = 'https://ntfy.sh';

export const ntfyChannelSchema = z.strictObject({
  /** ntfy.sh, or a self-hosted server (its base URL, a path prefix allowed). */
  server: httpsUrlSchema.transform((url) => url.replace(/\/+$/, '')).default(NTFY_DEFAULT_SERVER),
  topic: ntfyTopicSchema,
  /** An access token (`tk_…`) for a server that protects the topic; sent as `Authorization: Bearer`. */
  token: z.string().min(1).max(200).optional(),
});

export const ntfyChannel = {
  summary: 'a push notification through ntfy (ntfy.sh or self-hosted), priority by severity',
  example: `channels:
  - { id: ntfy-ops, ntfy: { server: https://ntfy.example.com, topic: ops-pages, token: "\${NTFY_TOKEN}" } }
people:
  - { id: ana, name: Ana, ntfy: ana-pages-7f3k }
  - { id: bo, name: Bo, ntfy: "https://ntfy.example.com/bo-pages" }   # a topic URL on a self-hosted server
`,
  schema: ntfyChannelSchema,
  /** A person's own topic on ntfy.sh (`ana-pages-7f3k`), or a topic URL on another server. */
  contact: z.union([ntfyTopicSchema, httpsUrlSchema], {
    error: 'expected an ntfy topic (1 to 64 letters, digits, - or _) or a topic URL',
  }),
} satisfies ChannelKindModule;
