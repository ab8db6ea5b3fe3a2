import { z } from 'zod';
import { slugSchema } from '../checks/check.js';
import { VigilError } from '../errors/errors.js';
import { CHANNEL_KINDS, type ChannelKind, type ChannelTarget, channelKinds } from './channels/registry.js';

type KindFields = { [K in ChannelKind]: z.ZodOptional<(typeof channelKinds)[K]['schema']> };

// Built from the registry so a kind is declared once; the cast restores the per-kind types that
// Object.fromEntries drops.
const kindFields = Object.fromEntries(
  CHANNEL_KINDS.map((kind) => [kind, channelKinds[kind].schema.optional()]),
) as KindFields;

const exactlyOne = `expected exactly one of ${CHANNEL_KINDS.join(', ')}`;

/** A declared channel: an id and the settings of exactly one kind under the kind's key. */
export const channelSchema = z
  .strictObject({ id: slugSchema, ...kindFields })
  .refine((channel) => CHANNEL_KINDS.filter((kind) => channel[kind] !== undefined).length === 1, {
    error: exactlyOne,
  });
export type ChannelConfig = z.output<typeof channelSchema>;

/** The kind and settings of a declared channel, read through the registry rather than by name. */
export function channelTarget(channel: ChannelConfig): ChannelTarget {
  for (const kind of CHANNEL_KINDS) {
    const settings = channel[kind];
    // The map pairs each kind with its own settings, so this is that kind's target.
    if (settings !== undefined) return { kind, ...settings } as ChannelTarget;
  }
  throw new VigilError('CONFIG_INVALID', `channel ${channel.id}: ${exactlyOne}`, [
    { path: `channels.${channel.id}`, message: exactlyOne },
  ]);
}
