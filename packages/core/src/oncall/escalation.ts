import { z } from 'zod';
import { slugSchema } from '../checks/check.js';
import { durationSchema } from '../config/duration.js';

/** `person:ana`, `schedule:primary`, `channel:slack-ops`. */
export const escalationTargetSchema = z
  .string()
  .regex(/^(person|schedule|channel):[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
    error: 'expected a target such as person:ana, schedule:primary or channel:slack-ops',
  })
  .transform((text) => {
    const [kind, id = ''] = text.split(':') as ['person' | 'schedule' | 'channel', string];
    return { kind, id };
  });
export type EscalationTarget = z.output<typeof escalationTargetSchema>;

export const escalationLevelSchema = z.strictObject({
  notify: z.array(escalationTargetSchema).min(1, { error: 'expected at least one target' }),
  /** Wait after the previous level (after the incident opened, for the first) before paging this one. */
  after: durationSchema.prefault('0s'),
});

export const escalationSchema = z.strictObject({
  id: slugSchema,
  levels: z.array(escalationLevelSchema).min(1, { error: 'expected at least one level' }),
  /** Times the whole policy runs again after its last level while nobody acknowledges. */
  repeat: z.int().min(0).max(20).default(0),
  /** Wait after the last level before a repeat starts at the first again. */
  repeatAfter: durationSchema.prefault('10m'),
});
export type EscalationPolicy = z.output<typeof escalationSchema>;
export type EscalationLevel = EscalationPolicy['levels'][number];
