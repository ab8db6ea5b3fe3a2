import type { ConsoleRole } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { groupsOf, rightsOf } from './oidc-roles.js';

const ROLES: ConsoleRole[] = [
  { group: 'ops', scopes: ['admin'] },
  { group: 'team-a-viewers', scopes: ['read'], owners: ['team-a'] },
  { group: 'team-b-oncall', scopes: ['read', 'write'], owners: ['team-b'] },
  { group: 'platform', scopes: ['write'], owners: ['team-a', 'team-c'] },
];

describe('IdP groups to console rights', () => {
  it('grants each owner the highest scope among the roles naming it, in the order of the roles', () => {
    expect(rightsOf(ROLES, ['team-a-viewers', 'staff'])).toEqual({
      grants: [{ owner: 'team-a', scope: 'read' }],
      groups: ['team-a-viewers'],
    });
    expect(rightsOf(ROLES, ['team-b-oncall', 'team-a-viewers'])).toEqual({
      grants: [
        { owner: 'team-a', scope: 'read' },
        { owner: 'team-b', scope: 'write' },
      ],
      groups: ['team-a-viewers', 'team-b-oncall'],
    });
    expect(rightsOf(ROLES, ['team-a-viewers', 'platform'])?.grants).toEqual([
      { owner: 'team-a', scope: 'write' },
      { owner: 'team-c', scope: 'write' },
    ]);
  });

  it('never carries a scope from one owner to another', () => {
    // Admin in the operators' view, yet only a viewer of team-a's checks.
    expect(rightsOf(ROLES, ['ops', 'team-a-viewers'])?.grants).toEqual([
      { scope: 'admin' },
      { owner: 'team-a', scope: 'read' },
    ]);
  });

  it('grants a role naming no owners the operators’ view', () => {
    expect(rightsOf(ROLES, ['ops'])).toEqual({ grants: [{ scope: 'admin' }], groups: ['ops'] });
  });

  it('admits no one in no mapped group', () => {
    expect(rightsOf(ROLES, ['staff'])).toBeUndefined();
    expect(rightsOf(ROLES, [])).toBeUndefined();
  });

  it('reads the claim as a list of strings, or one string', () => {
    expect(groupsOf(['ops', 3, 'x'])).toEqual(['ops', 'x']);
    expect(groupsOf('ops')).toEqual(['ops']);
    expect(groupsOf(undefined)).toEqual([]);
    expect(groupsOf({ ops: true })).toEqual([]);
  });
});
