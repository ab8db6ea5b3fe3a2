import { z } from 'zod';
import { slugSchema } from './check.js';

/** A component: what the status page and incidents group checks under. */
export const componentSchema = z.strictObject({
  id: slugSchema,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  /** The API token owner the component (its incidents, their timelines and postmortems) belongs to; absent = the operators. */
  owner: slugSchema.optional(),
});
export type Component = z.output<typeof componentSchema>;
