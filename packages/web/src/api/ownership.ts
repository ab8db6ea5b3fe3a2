import { type ApiToken, type Check, type Incident, incidentVisibleTo, VigilError } from '@vigil/core';
import type { WebContext } from '../context.js';
import { hasScope } from './auth.js';

/** Admins see every check; anyone else only the checks their owner registered. */
export function canSee(token: ApiToken, check: Pick<Check, 'owner'>): boolean {
  return hasScope(token, 'admin') || check.owner === token.owner;
}

/** The owner tenancy rules apply to: undefined (the operators, who may do anything) for an admin token. */
export function tenant(token: ApiToken): string | undefined {
  return hasScope(token, 'admin') ? undefined : token.owner;
}

/** The one 404 of a check that does not exist, also answered for one the caller may not see. */
export function noSuchCheck(id: string): VigilError {
  return new VigilError('NOT_FOUND', `no check ${id}`, [{ path: 'id', message: 'no such check' }]);
}

/** The check, if this token may see it; otherwise the same 404 as for a check that does not exist. */
export async function visibleCheck(ctx: WebContext, token: ApiToken, id: string): Promise<Check> {
  const check = await ctx.checks.get(id);
  if (!check || !canSee(token, check)) throw noSuchCheck(id);
  return check;
}

/**
 * A check that exists and that the caller may see, and that is not declared in the server's
 * vigil.yaml: those change only in the file (the scheduler puts the file's value back), as with
 * `vigil apply`.
 */
export async function changeableCheck(ctx: WebContext, token: ApiToken, id: string): Promise<Check> {
  const check = await visibleCheck(ctx, token, id);
  refuseDeclared(ctx, check);
  return check;
}

/** 409 for a check declared in the server's vigil.yaml. */
export function refuseDeclared(ctx: WebContext, check: Pick<Check, 'id' | 'owner'>): void {
  if (check.owner !== undefined || !ctx.config.checks.some((declared) => declared.id === check.id)) return;
  const message = "is declared in the server's vigil.yaml; change it there (the API cannot)";
  throw new VigilError('CONFLICT', `check ${check.id} ${message}`, [{ path: 'id', message }]);
}

/**
 * Which incidents a token may see (and act on): admins all; others those whose component their
 * owner owns or is granted, or whose every member check is their own (fleet incidents about
 * vantages and blind spots are the operators').
 */
export async function incidentFilter(ctx: WebContext, token: ApiToken): Promise<(incident: Incident) => boolean> {
  const owner = tenant(token);
  if (owner === undefined) return () => true;
  const owned = new Set(await ctx.redis.smembers(ctx.keys.checksOfOwner(owner)));
  const ownerOf = (checkId: string) => (owned.has(checkId) ? owner : undefined);
  return (incident) => incidentVisibleTo(ctx.config, owner, incident, ownerOf);
}

export async function visibleIncident(ctx: WebContext, token: ApiToken, id: string): Promise<Incident> {
  const incident = await ctx.incidents.get(id);
  if (!incident || !(await incidentFilter(ctx, token))(incident)) {
    throw new VigilError('NOT_FOUND', `no incident ${id}`, [{ path: 'id', message: 'no such incident' }]);
  }
  return incident;
}
