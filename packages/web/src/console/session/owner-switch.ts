import { VigilError } from '@vigil/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { WebContext } from '../../context.js';
import { parseInput } from '../page-deps.js';
import { requireAction } from './console-session.js';
import type { ConsolePrincipal, SessionStore } from './session-store.js';

export const OWNER_SWITCH_PATH = '/console/owner';

/** One entry of the header's owner switcher. */
export interface OwnerChoice {
  owner: string;
  /** The slug, or "operators" for the person's own view (a role naming no owners). */
  label: string;
  active: boolean;
}

/** The owners a session may switch between: none unless its person's groups grant more than one. */
export function ownerChoices(principal: ConsolePrincipal): OwnerChoice[] {
  const grants = principal.grants ?? [];
  if (grants.length < 2) return [];
  return grants.map(({ owner }) => ({
    owner,
    label: owner === principal.id ? 'operators' : owner,
    active: owner === principal.owner,
  }));
}

const switchForm = z.object({ owner: z.string().min(1, { error: 'expected an owner' }).max(300) });

/**
 * `POST /console/owner`: the session acts as another of the owners its person's groups granted at
 * sign-in, with that owner's scope, on every page and action from then on. An owner not granted is
 * refused (403) and nothing changes.
 */
export function registerOwnerSwitch(app: FastifyInstance, ctx: WebContext, sessions: SessionStore): void {
  app.post(OWNER_SWITCH_PATH, async (request, reply) => {
    const signed = await requireAction(ctx, sessions, request, reply);
    const { owner } = parseInput(switchForm, request.body);
    const { principal } = signed.session;
    const grant = principal.grants?.find((granted) => granted.owner === owner);
    if (!grant) {
      const message = 'not one of the owners your identity provider groups grant you';
      throw new VigilError('FORBIDDEN', `owner: ${message}`, [{ path: 'owner', message }]);
    }
    const switched = { ...principal, owner: grant.owner, scope: grant.scope };
    if (!(await sessions.replacePrincipal(signed.id, signed.session, switched))) {
      const message = 'the session changed meanwhile; reload the page and switch again';
      throw new VigilError('CONFLICT', `owner: ${message}`, [{ path: 'owner', message }]);
    }
    // The overview: the page the person was on may be another owner's, a 404 to the new one.
    return reply.code(303).header('location', '/console').send();
  });
}
