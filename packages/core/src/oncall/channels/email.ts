import { z } from 'zod';
import { emailSchema } from '../../config/field-schemas.js';
import type { ChannelKindModule } from './channel-kind.js';

export const emailChannelSchema = z.strictObject({ to: z.array(emailSchema).min(1) });

export const emailChannel = {
  summary: 'mail to one or more addresses (SMTP, or files in the outbox without SMTP settings)',
  example: `channels:
  - { id: ops-mail, email: { to: [ops@example.com, oncall@example.com] } }
people:
  - { id: ana, name: Ana, email: ana@example.com }
`,
  schema: emailChannelSchema,
  contact: emailSchema,
} satisfies ChannelKindModule;
