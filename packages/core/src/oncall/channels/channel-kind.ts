import type { z } from 'zod';

/** The core half of a paging channel: how vigil.yaml declares one (the sender lives in the notifier). */
export interface ChannelKindModule<S extends z.ZodType = z.ZodType> {
  /** One line for help texts and the README. */
  summary: string;
  /**
   * Its vigil.yaml snippet: a channel of the kind and, where the kind has a contact, a person's. The
   * README shows it verbatim and a test parses it, so the documented form always loads.
   */
  example: string;
  /** The channel's settings under its own key: `channels[].<kind>`. */
  schema: S;
  /** When people can be paged this way: how a person's contact is written, `people[].<kind>`. */
  contact?: z.ZodType;
  /** That contact's name in `people[]` and `people[].contact` when it is not the kind's (`phone` for `twilio`). */
  contactName?: string;
  /** A person's contact is paged through the first declared channel of the kind (its account, bot or number). */
  contactThroughChannel?: true;
}
