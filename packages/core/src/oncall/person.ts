import { z } from 'zod';
import { slugSchema } from '../checks/check.js';
import {
  CONTACT_KINDS,
  CONTACT_NAMES,
  type ContactKind,
  type ContactName,
  channelKinds,
  contactName,
} from './channels/registry.js';
import { slackUserSchema } from './channels/slack.js';

type ContactFields = { [K in ContactKind as ContactName<K>]: z.ZodOptional<(typeof channelKinds)[K]['contact']> };

// Built from the channel registry so a contact kind is declared once, by its channel's module; the
// cast restores the per-kind types that Object.fromEntries drops.
const contactFields = Object.fromEntries(
  CONTACT_KINDS.map((kind) => [contactName(kind), channelKinds[kind].contact.optional()]),
) as ContactFields;

export const personSchema = z
  .strictObject({
    id: slugSchema,
    name: z.string().min(1).max(200),
    ...contactFields,
    /** Who a Slack button press comes from: acknowledgements from Slack are recorded under this person's name. */
    slack: slackUserSchema.optional(),
    /** The order to try this person's contacts in; a contact that keeps failing falls back to the next. */
    contact: z.array(z.enum(CONTACT_NAMES)).min(1).optional(),
  })
  .refine((person) => CONTACT_NAMES.some((name) => person[name] !== undefined), {
    error: `expected at least one of ${CONTACT_NAMES.join(' or ')}`,
  });
export type Person = z.output<typeof personSchema>;
