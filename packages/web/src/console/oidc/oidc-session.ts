import type { FastifyReply, FastifyRequest } from 'fastify';
import { setSessionCookie } from '../session/cookie.js';
import type { ConsolePrincipal, SessionStore } from '../session/session-store.js';
import type { OidcPrincipal } from './oidc-roles.js';

/**
 * The console principal of a person the IdP signed in: every owner their groups grant, acting as
 * the first. The operators' view (a role naming no owners) is an owner of their own, `oidc:<sub>`,
 * never a token owner's slug, which sees what an admin sees or nothing that is owned.
 */
export function consolePrincipalOf(person: OidcPrincipal): ConsolePrincipal {
  const grants = person.grants.map((grant) => ({ owner: grant.owner ?? person.id, scope: grant.scope }));
  const [first] = grants;
  if (!first) throw new Error(`consolePrincipalOf: ${person.id} has no grant`);
  return { id: person.id, owner: first.owner, scope: first.scope, name: person.name, grants };
}

/** `startSession` for the OIDC routes: a console session in the store, its cookie on the reply. */
export function oidcSessionStarter(sessions: SessionStore) {
  return async (
    person: OidcPrincipal,
    extra: { idToken?: string; signInOrigin?: string },
    _request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> => {
    const { id } = await sessions.createSession(consolePrincipalOf(person), extra);
    setSessionCookie(reply, id);
  };
}
