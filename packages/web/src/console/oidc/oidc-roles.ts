import type { ConsoleRole, TokenScope } from '@vigil/core';

/** Who signed in through the IdP, and what the console lets them do: the callback's input to a console session. */
export interface OidcPrincipal {
  /** `oidc:<sub>`: stable across sign-ins (the IdP's subject), for sign-out everywhere. */
  id: string;
  subject: string;
  /** For the header and the audit trail: the name claim, else email, else the subject. */
  name: string;
  email?: string;
  /** The highest scope of the mapped groups: the API's one matrix judges it. */
  scope: TokenScope;
  /** Token owners whose checks the person sees; empty means the operators' view. */
  owners: string[];
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

/**
 * The rights of a person in these groups: the highest scope of the roles that match, and the union
 * of their owners; undefined when no role matches (the person is refused).
 */
export function rightsOf(
  roles: readonly ConsoleRole[],
  groups: readonly string[],
): { scope: TokenScope; owners: string[]; groups: string[] } | undefined {
  const matched = roles.filter((role) => groups.includes(role.group));
  if (matched.length === 0) return undefined;
  let scope: TokenScope = 'read';
  const owners = new Set<string>();
  for (const role of matched) {
    for (const granted of role.scopes) if (RANK[granted] > RANK[scope]) scope = granted;
    for (const owner of role.owners ?? []) owners.add(owner);
  }
  return { scope, owners: [...owners], groups: [...new Set(matched.map((role) => role.group))] };
}
