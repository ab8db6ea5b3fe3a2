import type { ConsoleRole } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { groupsOf, rightsOf } from './oidc-roles.js';

const ROLES: ConsoleRole[] = [
  { group: 'ops', scopes: ['admin'] },
  { group: 'team-a-viewers', scopes: ['read'], owners: ['team-a'] },
  { group: 'team-b-oncall', scopes: ['read', 'write'], owners: ['team-b'] },
];

describe('IdP groups to console rights', () => {
  it('takes the highest scope of the matching roles and the union of their owners', () => {
    expect(rightsOf(ROLES, ['team-a-viewers', 'staff'])).toEqual({
      scope: 'read',
      owners: ['team-a'],
      groups: ['team-a-viewers'],
    });
    expect(rightsOf(ROLES, ['team-b-oncall', 'team-a-viewers'])).toEqual({
      scope: 'write',
      owners: ['team-a', 'team-b'],
      groups: ['team-a-viewers', 'team-b-oncall'],
    });
    expect(rightsOf(ROLES, ['ops'])).toEqual({ scope: 'admin', owners: [], groups: ['ops'] });
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
