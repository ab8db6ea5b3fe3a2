/**
 * The vigil.yaml of the detection bench: three vantages, one person paged by email at once
 * (`groupingWindow: 0s`, one level, no delay), the fleet's own pages going to someone else so
 * they are counted apart. Checks are validated against it, as a user's file would be.
 */
import { type Check, validateConfig } from '@vigil/core';
import type { ReceivedMail } from '../../test/support/mail-sink.js';

export const VANTAGES = ['alpha', 'beta', 'gamma'] as const;
/** Paged for target incidents. */
export const ONCALL = 'oncall@bench.test';
/** Paged for the fleet's own incidents (a vantage impaired or silent, blind spots): none expected. */
export const FLEET_ONCALL = 'fleet@bench.test';

/** The config without checks: what the notifier process is given. */
export function pagingConfig(components: readonly string[]): Record<string, unknown> {
  return {
    vantages: [...VANTAGES],
    components: components.map((id) => ({ id, name: `Component ${id}` })),
    people: [
      { id: 'oncall', name: 'On call', email: ONCALL },
      { id: 'fleet', name: 'Fleet on call', email: FLEET_ONCALL },
    ],
    escalations: [
      { id: 'default', levels: [{ notify: ['person:oncall'] }] },
      { id: 'fleet', levels: [{ notify: ['person:fleet'] }] },
    ],
    notifier: {
      groupingWindow: '0s',
      fleetEscalation: 'fleet',
      // Every trial pages the same person: the cap (30 an hour by default) must not drop a trial's page.
      personCap: { max: 10_000, per: '1h' },
    },
  };
}

/**
 * Checks from their vigil.yaml entries, validated with `config` (components must be declared there);
 * their targets are the bench's loopback servers, so each is allowed its private target.
 */
export function validatedChecks(config: Record<string, unknown>, inputs: readonly Record<string, unknown>[]): Check[] {
  const checks = inputs.map((input) => ({ allowPrivateTarget: true, ...input }));
  return validateConfig({ ...config, checks }, 'bench config').checks;
}

/** Trigger pages (not resolves) received for `address` from index `from` of the sink's list on. */
export function triggerPages(received: readonly ReceivedMail[], address: string, from = 0): ReceivedMail[] {
  return received
    .slice(from)
    .filter((mail) => mail.to.includes(address) && mail.headers.get('x-vigil-action') === 'trigger');
}

/** The incident a page is about, from its `X-Vigil-Incident` header. */
export function pagedIncident(mail: ReceivedMail): string {
  const id = mail.headers.get('x-vigil-incident');
  if (typeof id !== 'string') throw new Error(`page "${mail.subject}" names no incident`);
  return id;
}
