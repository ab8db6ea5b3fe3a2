import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config.js';
import { isVigilError } from '../errors/errors.js';
import {
  asTenantCheck,
  incidentGroup,
  incidentVisibleTo,
  mayPublish,
  mayUseComponent,
  pagingEscalation,
  type TenancyConfig,
  tenancyIssues,
  tenantOf,
} from './tenancy.js';

/** The operators own `api` and `lb`; team-a owns `shop` and is granted `api` and `team-a-oncall`. */
const CONFIG = `
vantages: [alpha]
components:
  - { id: api, name: API }
  - { id: lb, name: Load balancers }
  - { id: shop, name: Shop, owner: team-a }
people: [{ id: ana, name: Ana, email: ana@example.com }]
escalations:
  - { id: default, levels: [{ notify: [person:ana] }] }
  - { id: team-a-oncall, levels: [{ notify: [person:ana] }] }
grants:
  - { owner: team-a, components: [api], escalations: [team-a-oncall] }
  - { owner: team-p, publish: true }
`;

function tenancy(): TenancyConfig {
  return parseConfig(CONFIG);
}

describe('tenancy', () => {
  it('reads owners and grants from vigil.yaml', () => {
    const config = tenancy();
    expect(config.components.find((component) => component.id === 'shop')?.owner).toBe('team-a');
    expect(config.grants).toEqual([
      { owner: 'team-a', components: ['api'], escalations: ['team-a-oncall'], publish: false },
      { owner: 'team-p', components: [], escalations: [], publish: true },
    ]);
  });

  it('names each unknown component and escalation in a grant by its path', () => {
    const text = `${CONFIG}  - { owner: team-b, components: [api, nope], escalations: [default, never] }\n`;
    let error: unknown;
    try {
      parseConfig(text);
    } catch (err) {
      error = err;
    }
    expect(isVigilError(error, 'CONFIG_INVALID')).toBe(true);
    const issues = isVigilError(error) ? error.issues : [];
    expect(issues.map((issue) => issue.path)).toEqual(['grants[2].components[1]', 'grants[2].escalations[1]']);
    expect(issues[0]?.received).toBe('"nope"');
  });

  it('lets an owner use the components it owns or is granted, the operators every one', () => {
    const config = tenancy();
    expect(mayUseComponent(config, 'team-a', 'shop')).toBe(true);
    expect(mayUseComponent(config, 'team-a', 'api')).toBe(true);
    expect(mayUseComponent(config, 'team-a', 'lb')).toBe(false);
    expect(mayUseComponent(config, 'team-b', 'api')).toBe(false);
    expect(mayUseComponent(config, 'team-b', 'shop')).toBe(false);
    expect(mayUseComponent(config, undefined, 'shop')).toBe(true);
  });

  it('refuses, field by field, what a check may not name', () => {
    const config = tenancy();
    const check = { id: 'x', component: 'lb', escalation: 'default', public: true };
    expect(tenancyIssues(config, check, 'team-a').map((issue) => issue.path)).toEqual([
      'component',
      'escalation',
      'public',
    ]);
    expect(tenancyIssues(config, { id: 'x', component: 'api', escalation: 'team-a-oncall' }, 'team-a')).toEqual([]);
    expect(tenancyIssues(config, check, undefined)).toEqual([]);
    expect(tenancyIssues(config, { id: 'x', public: true }, 'team-p')).toEqual([]);
    expect(mayPublish(config, 'team-a')).toBe(false);
  });

  it('pages the granted escalation, never the operators’ default unless granted', () => {
    const config = tenancy();
    expect(pagingEscalation(config, { id: 'ops' })).toBe('default');
    expect(pagingEscalation(config, { id: 'ops', escalation: 'team-a-oncall' })).toBe('team-a-oncall');
    expect(pagingEscalation(config, { id: 'a', owner: 'team-a' })).toBe('team-a-oncall');
    expect(pagingEscalation(config, { id: 'a', owner: 'team-a', escalation: 'default' })).toBe('team-a-oncall');
    expect(pagingEscalation(config, { id: 'b', owner: 'team-b' })).toBeUndefined();
    expect(pagingEscalation(config, { id: 'b', owner: 'team-b', escalation: 'default' })).toBeUndefined();
  });

  it('groups a check into its component’s incident only when its owner owns the component', () => {
    const config = tenancy();
    expect(incidentGroup(config, { id: 'ops', component: 'lb' })).toEqual({ group: 'component:lb', component: 'lb' });
    expect(incidentGroup(config, { id: 'a', owner: 'team-a', component: 'shop' })).toEqual({
      group: 'component:shop',
      component: 'shop',
    });
    // Granted, not owned: an incident of the component, but its own, paging what team-a is granted.
    expect(incidentGroup(config, { id: 'a', owner: 'team-a', component: 'api' })).toEqual({
      group: 'component:api:owner:team-a',
      component: 'api',
    });
    expect(incidentGroup(config, { id: 'ops', component: 'shop' })).toEqual({
      group: 'component:shop:owner:operators',
      component: 'shop',
    });
    expect(incidentGroup(config, { id: 'b', owner: 'team-b', component: 'api' })).toEqual({ group: 'check:b' });
    expect(incidentGroup(config, { id: 'b', owner: 'team-b' })).toEqual({ group: 'check:b' });
  });

  it('shows an incident to an owner through its component or through only its own checks', () => {
    const config = tenancy();
    const owners: Record<string, string | undefined> = { a1: 'team-a', b1: 'team-b', ops1: undefined };
    const ownerOf = (id: string) => owners[id];
    const lb = { component: 'lb', members: [{ checkId: 'ops1' }] };
    const api = { component: 'api', members: [{ checkId: 'ops1' }] };
    const mixed = { members: [{ checkId: 'ops1' }, { checkId: 'b1' }] };
    const own = { members: [{ checkId: 'b1' }] };
    expect(incidentVisibleTo(config, 'team-a', lb, ownerOf)).toBe(false);
    expect(incidentVisibleTo(config, 'team-a', api, ownerOf)).toBe(true);
    expect(incidentVisibleTo(config, 'team-b', api, ownerOf)).toBe(false);
    expect(incidentVisibleTo(config, 'team-b', mixed, ownerOf)).toBe(false);
    expect(incidentVisibleTo(config, 'team-b', own, ownerOf)).toBe(true);
    expect(incidentVisibleTo(config, 'team-b', { members: [] }, ownerOf)).toBe(false);
    expect(incidentVisibleTo(config, undefined, lb, ownerOf)).toBe(true);
    // A granted owner's own incident of a shared component: only that owner (and admins) see it.
    const teamC = { group: 'component:api:owner:team-c', component: 'api', members: [] };
    expect(incidentVisibleTo(config, 'team-a', teamC, ownerOf)).toBe(false);
    expect(incidentVisibleTo(config, 'team-c', teamC, ownerOf)).toBe(true);
    expect(incidentVisibleTo(config, undefined, teamC, ownerOf)).toBe(true);
  });

  it('counts the owners of admin tokens as the operators', () => {
    const config = tenancy();
    const operators = new Set(['root']);
    expect(tenantOf('root', operators)).toBeUndefined();
    expect(tenantOf('team-b', operators)).toBe('team-b');
    expect(tenantOf(undefined, operators)).toBeUndefined();
    const root = asTenantCheck({ id: 'r', owner: 'root', component: 'lb' }, operators);
    expect(root).toEqual({ id: 'r', component: 'lb' });
    expect(incidentGroup(config, root)).toEqual({ group: 'component:lb', component: 'lb' });
    expect(pagingEscalation(config, root)).toBe('default');
    const b = { id: 'b', owner: 'team-b', component: 'lb' };
    expect(asTenantCheck(b, operators)).toBe(b);
  });
});
