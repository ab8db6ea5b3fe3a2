import { type ApiToken, type Check, type Incident, VigilError } from '@vigil/core';
import type { WebContext } from '../context.js';
import { hasScope } from './auth.js';

/** Admins see every check; anyone else only the checks their owner registered. */
export function canSee(token: ApiToken, check: Pick<Check, 'owner'>): boolean {
  return hasScope(token, 'admin') || check.owner === token.owner;
}

/** The check, if this token may see it; otherwise the same 404 as for a check that does not exist. */
export async function visibleCheck(ctx: WebContext, token: ApiToken, id: string): Promise<Check> {
  const check = await ctx.checks.get(id);
  if (!check || !canSee(token, check)) {
    throw new VigilError('NOT_FOUND', `no check ${id}`, [{ path: 'id', message: 'no such check' }]);
  }
  return check;
}

/**
 * Which incidents a token may see: admins all; others those with a member check of their owner
 * (fleet incidents about vantages and blind spots are the operators').
 */
export async function incidentFilter(ctx: WebContext, token: ApiToken): Promise<(incident: Incident) => boolean> {
  if (hasScope(token, 'admin')) return () => true;
  const owned = new Set(await ctx.redis.smembers(ctx.keys.checksOfOwner(token.owner)));
  return (incident) => incident.members.some((member) => owned.has(member.checkId));
}

export async function visibleIncident(ctx: WebContext, token: ApiToken, id: string): Promise<Incident> {
  const incident = await ctx.incidents.get(id);
  if (!incident || !(await incidentFilter(ctx, token))(incident)) {
    throw new VigilError('NOT_FOUND', `no incident ${id}`, [{ path: 'id', message: 'no such incident' }]);
  }
  return incident;
}
