import type { AddressEvent, AddressState } from '@vigil/core';
import type { Palette } from './colour.js';

/** `23:24 UTC`, or `2026-04-04 23:24 UTC` when not on `now`'s UTC day: the hour is what operators compare. */
function clockTime(at: number, now: number): string {
  const iso = new Date(at).toISOString();
  const sameDay = iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10);
  return `${sameDay ? '' : `${iso.slice(0, 10)} `}${iso.slice(11, 16)} UTC`;
}

/** One address in a few words: `5.104.101.30 failing from 3/3 vantages since 23:24 UTC`, `109.232.236.90 fine`. */
export function describeAddress(address: AddressState, now: number): string {
  const from = `${address.failing.length}/${address.counted} vantages`;
  const since = `since ${clockTime(address.since, now)}`;
  if (address.state === 'up') return `${address.address} fine`;
  if (address.state === 'degraded') return `${address.address} degraded, failing from ${from} ${since}`;
  if (address.failing.length === 0) return `${address.address} down ${since}, good again from every vantage`;
  const why = address.error ? ` (${address.error})` : '';
  return `${address.address} failing from ${from} ${since}${why}`;
}

/** Every address of a check on one line, down ones first, each in its state's colour. */
export function describeAddresses(addresses: readonly AddressState[], now: number, colours: Palette): string {
  const rank = { down: 0, degraded: 1, up: 2 } as const;
  return [...addresses]
    .sort((a, b) => rank[a.state] - rank[b.state] || a.address.localeCompare(b.address))
    .map((address) => {
      const paint = address.state === 'up' ? colours.green : address.state === 'down' ? colours.red : colours.yellow;
      return paint(describeAddress(address, now));
    })
    .join('; ');
}

/** One line of a check's address timeline: `23:25 UTC  5.104.101.30 down, failing from 3/3 vantages since 23:24 UTC`. */
export function describeAddressEvent(event: AddressEvent, now: number): string {
  const at = clockTime(event.round, now);
  if (event.kind === 'gone') return `${at}  ${event.address} no longer an address of the name`;
  if (event.kind === 'back') return `${at}  ${event.address} back, good since ${clockTime(event.since, now)}`;
  const why = event.error ? ` (${event.error})` : '';
  const from = `${event.failing.length}/${event.counted} vantages`;
  return `${at}  ${event.address} down, failing from ${from} since ${clockTime(event.since, now)}${why}`;
}
