import { z } from 'zod';
import { slugSchema } from '../checks/check.js';
import { emailSchema, httpsUrlSchema } from '../config/field-schemas.js';

export const personSchema = z
  .strictObject({
    id: slugSchema,
    name: z.string().min(1).max(200),
    email: emailSchema.optional(),
    /** A generic webhook (signed like channel webhooks) that pages this person. */
    webhook: httpsUrlSchema.optional(),
    /** The order to try this person's contacts in; a contact that keeps failing falls back to the next. */
    contact: z
      .array(z.enum(['email', 'webhook']))
      .min(1)
      .optional(),
  })
  .refine((person) => person.email !== undefined || person.webhook !== undefined, {
    error: 'expected at least one of email or webhook',
  });
export type Person = z.output<typeof personSchema>;
