import type { FastifyReply, FastifyRequest } from 'fastify';
import { setSessionCookie } from '../cookie.js';
import type { ConsolePrincipal, SessionStore } from '../session-store.js';
import type { OidcPrincipal } from './oidc-roles.js';

/**
 * The console principal of a person the IdP signed in. The API's matrix judges one owner per
 * identity, so the first mapped owner is the one it sees; with none, an owner of its own (`oidc:<sub>`,
 * never a token owner's slug), which sees what an admin sees or nothing that is owned.
 */
export function consolePrincipalOf(person: OidcPrincipal): ConsolePrincipal {
  return { id: person.id, owner: person.owners[0] ?? person.id, scope: person.scope, name: person.name };
}

/** `startSession` for the OIDC routes: a console session in the store, its cookie on the reply. */
export function oidcSessionStarter(sessions: SessionStore) {
  return async (person: OidcPrincipal, _request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const { id } = await sessions.createSession(consolePrincipalOf(person));
    setSessionCookie(reply, id);
  };
}
