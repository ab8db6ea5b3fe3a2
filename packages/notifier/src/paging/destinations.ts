import {
  type ChannelConfig,
  type ChannelTarget,
  CONTACT_KINDS,
  type ContactKind,
  channelTarget,
  contactKindOf,
  type EscalationTarget,
  onCallAt,
  type Person,
  type VigilConfig,
} from '@vigil/core';
import { contactTarget } from './channels/registry.js';

/** Someone or something a page goes to: a person (by their n-th contact) or a declared channel. */
export type Destination =
  | { type: 'person'; personId: string; contact: number }
  | { type: 'channel'; channelId: string };

export type PagingConfig = Pick<VigilConfig, 'people' | 'schedules' | 'channels' | 'escalations' | 'components'>;

/** Stable text for dedup keys and the `paged` hash: `person-ana`, `channel-slack-ops`. */
export function destinationKey(destination: Destination): string {
  return destination.type === 'person' ? `person-${destination.personId}` : `channel-${destination.channelId}`;
}

/** A person's contacts in the order to try them: their `contact` list, else `CONTACT_KINDS` (email, webhook). */
export function contactsOf(person: Person, channels: readonly ChannelConfig[] = []): ContactKind[] {
  const order = person.contact?.map(contactKindOf) ?? CONTACT_KINDS;
  return order.filter((kind) => contactTarget(person, kind, channels) !== undefined);
}

/**
 * The destinations of one escalation level at `at`: schedules resolve to whoever is on call then
 * (nobody on call is reported, not silently skipped), people and channels to themselves.
 */
export function levelDestinations(
  config: PagingConfig,
  targets: readonly EscalationTarget[],
  at: number,
): { destinations: Destination[]; unstaffed: string[] } {
  const destinations: Destination[] = [];
  const unstaffed: string[] = [];
  const seen = new Set<string>();
  const add = (destination: Destination) => {
    const key = destinationKey(destination);
    if (!seen.has(key)) destinations.push(destination);
    seen.add(key);
  };
  for (const target of targets) {
    if (target.kind === 'channel') add({ type: 'channel', channelId: target.id });
    else if (target.kind === 'person') add({ type: 'person', personId: target.id, contact: 0 });
    else {
      const schedule = config.schedules.find((s) => s.id === target.id);
      const onCall = schedule ? onCallAt(schedule, at) : undefined;
      if (onCall) add({ type: 'person', personId: onCall.personId, contact: 0 });
      else unstaffed.push(target.id);
    }
  }
  return { destinations, unstaffed };
}

/** Where a destination's page is sent, and who it is for; undefined when the contact does not exist. */
export function resolveDestination(
  config: PagingConfig,
  destination: Destination,
): { target: ChannelTarget; recipient?: { id: string; name: string } } | undefined {
  if (destination.type === 'channel') {
    const channel = config.channels.find((c) => c.id === destination.channelId);
    return channel ? { target: channelTarget(channel) } : undefined;
  }
  const person = config.people.find((p) => p.id === destination.personId);
  if (!person) return undefined;
  const kind = contactsOf(person, config.channels)[destination.contact];
  const target = kind && contactTarget(person, kind, config.channels);
  return target ? { target, recipient: { id: person.id, name: person.name } } : undefined;
}
