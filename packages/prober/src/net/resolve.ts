import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { unbracket } from '@vigil/core';
import type { ProbeContext, ProbeTrace } from '../probe-context.js';
import { ProbeFailure } from '../probe-errors.js';

/** Turns a host name into IP addresses; injectable so tests can give a name several loopback addresses. */
export type HostResolver = (host: string) => Promise<string[]>;

/** The operating system's resolver, every address in its order (hosts file, search domains, DNS). */
export const systemResolver: HostResolver = async (host) => {
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
};

/**
 * Resolves a host and checks every address against the guard, so one private answer among public ones
 * (or a rebinding between checks) blocks the probe. A literal IP skips DNS; forms such as `2130706433`
 * are not literals to `isIP`, so the resolver turns them into the address the guard then judges.
 */
export async function resolveTarget(host: string, ctx: ProbeContext, trace: ProbeTrace): Promise<string[]> {
  const name = unbracket(host);
  if (isIP(name) !== 0) {
    assertAllowed(ctx, name);
    return [name];
  }
  trace.phase = 'resolving the name';
  const started = ctx.now();
  const addresses = await ctx.resolve(name);
  trace.timings.dns = ctx.elapsed(started);
  if (addresses.length === 0) throw new ProbeFailure('dns', `${name} did not resolve to any address`);
  for (const address of addresses) assertAllowed(ctx, address, name);
  return addresses;
}

/** Throws `blocked_target` unless the guard lets this address through. */
export function assertAllowed(ctx: ProbeContext, address: string, name?: string): void {
  const verdict = ctx.guard.check(address);
  if (verdict.allowed) return;
  throw new ProbeFailure('blocked_target', name ? `${name} resolved to ${verdict.reason}` : verdict.reason);
}
