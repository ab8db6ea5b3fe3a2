import { z } from 'zod';
import { slugSchema } from '../checks/check.js';
import type { Component } from '../checks/component.js';

/** A heading on the status page over some of its components. */
const componentGroupSchema = z.strictObject({
  group: z.string().min(1).max(200),
  components: z.array(slugSchema).min(1, { error: 'expected at least one component' }),
});

/**
 * The public status page. Only the components listed are public (all declared ones when the list is
 * left out); checks appear by name and target only when they say `public: true`.
 */
export const statusPageSchema = z.strictObject({
  title: z.string().min(1).max(200).default('Status'),
  description: z.string().max(2000).optional(),
  /** Where the page is reached from outside: links in subscriber mail and the Atom feed. */
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
  /** Component ids in page order, or `{ group, components }` headings over several. */
  components: z.array(z.union([slugSchema, componentGroupSchema])).optional(),
  /** Email subscriptions (double opt-in); sign-ups per client address per hour. */
  subscribers: z
    .strictObject({ enabled: z.boolean().default(true), signupsPerHour: z.int().min(1).max(1000).default(5) })
    .prefault({}),
});
export type StatusPageSettings = z.output<typeof statusPageSchema>;

/** A public component of the status page, in page order, with the heading it sits under. */
export interface PublicComponentRef {
  id: string;
  name: string;
  description?: string;
  group?: string;
}
/** The components the status page shows, in order: those `statusPage.components` lists, else all declared. */
export function publicComponents(config: {
  components: Component[];
  statusPage: StatusPageSettings;
}): PublicComponentRef[] {
  const declared = new Map(config.components.map((component) => [component.id, component]));
  const entries = config.statusPage.components ?? config.components.map((component) => component.id);
  return entries.flatMap((entry) => {
    const ids = typeof entry === 'string' ? [entry] : entry.components;
    const group = typeof entry === 'string' ? undefined : entry.group;
    return ids.flatMap((id) => {
      const component = declared.get(id);
      if (!component) return [];
      // Who owns a component is not the public's business.
      const { owner: _owner, ...shown } = component;
      return [{ ...shown, ...(group !== undefined && { group }) }];
    });
  });
}
