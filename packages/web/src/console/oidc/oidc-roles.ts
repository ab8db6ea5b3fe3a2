import type { ConsoleRole, TokenScope } from '@vigil/core';

/**
 * One owner a person may act as, and the scope they have there. `owner` undefined is the operators'
 * view (a role that names no owners): the person acts under an owner of their own, `oidc:<sub>`.
 */
export interface RoleGrant {
  owner?: string;
  scope: TokenScope;
}

/** Who signed in through the IdP, and what the console lets them do: the callback's input to a console session. */
export interface OidcPrincipal {
  /** `oidc:<sub>`: stable across sign-ins (the IdP's subject), for sign-out everywhere. */
  id: string;
  subject: string;
  /** For the header and the audit trail: the name claim, else email, else the subject. */
  name: string;
  email?: string;
  /** The owners the person's groups grant, each with its scope, in the order of `console.oidc.roles`: the first is where a session starts. */
  grants: RoleGrant[];
  /** The mapped groups the person is in (only those named in `console.oidc.roles`). */
  groups: string[];
}

const RANK: Record<TokenScope, number> = { read: 0, write: 1, admin: 2 };

/** A claim's groups as a list of strings: an array, or one string (some IdPs send a lone group as a string). */
export function groupsOf(claim: unknown): string[] {
  if (typeof claim === 'string') return [claim];
  if (Array.isArray(claim)) return claim.filter((group): group is string => typeof group === 'string');
  return [];
}

/** The highest of a role's scopes. */
function highest(scopes: readonly TokenScope[]): TokenScope {
  let scope: TokenScope = 'read';
  for (const granted of scopes) if (RANK[granted] > RANK[scope]) scope = granted;
  return scope;
}

/**
 * The rights of a person in these groups: one grant per owner the matching roles name (the
 * operators' view for a role naming none), with the highest scope among the roles granting that
 * owner, never a scope granted for another owner; undefined when no role matches (the person is refused).
 */
export function rightsOf(
  roles: readonly ConsoleRole[],
  groups: readonly string[],
): { grants: RoleGrant[]; groups: string[] } | undefined {
  const matched = roles.filter((role) => groups.includes(role.group));
  if (matched.length === 0) return undefined;
  // Keyed by owner; '' is the operators' view (slugs are never empty).
  const byOwner = new Map<string, TokenScope>();
  for (const role of matched) {
    const scope = highest(role.scopes);
    for (const owner of role.owners ?? ['']) {
      const held = byOwner.get(owner);
      if (held === undefined || RANK[scope] > RANK[held]) byOwner.set(owner, scope);
    }
  }
  const grants = [...byOwner].map(([owner, scope]) => (owner === '' ? { scope } : { owner, scope }));
  return { grants, groups: [...new Set(matched.map((role) => role.group))] };
}
