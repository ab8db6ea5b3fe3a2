/**
 * Tenancy: who owns what. Components belong to an owner (`owner:` in vigil.yaml; absent = the
 * operators), and `grants` give an API token owner the use of operators' components, escalation
 * policies, and the right to publish on the public status page. Incidents, their timelines,
 * postmortems and the escalation that pages follow from the components and checks they are about.
 *
 * Pure functions of the config; `owner` undefined means the operators (admin tokens, vigil.yaml).
 */
import { z } from 'zod';
import { slugSchema } from '../checks/check.js';
import type { FieldIssue } from '../errors/errors.js';
import { formatPath } from '../errors/issues.js';

export const grantSchema = z.strictObject({
  /** The API token owner the grant is for. */
  owner: slugSchema,
  /** Components (of the operators or of another owner) whose incidents it shares and may put checks in. */
  components: z.array(slugSchema).default([]),
  /** Escalation policies its checks may page; the first is the one they page by default. */
  escalations: z.array(slugSchema).default([]),
  /** May show checks on the public status page (`public: true`) and publish postmortems. */
  publish: z.boolean().default(false),
});
export type Grant = z.output<typeof grantSchema>;

/** What tenancy reads from the config. */
export interface TenancyConfig {
  components: readonly { id: string; owner?: string | undefined }[];
  escalations: readonly { id: string }[];
  grants: readonly Grant[];
}

/** What ownership and grants alone need (no escalation policies). */
type Ownership = Pick<TenancyConfig, 'components' | 'grants'>;

/** A check as tenancy sees it: who registered it and what it names. */
export interface TenantCheck {
  id: string;
  owner?: string | undefined;
  component?: string | undefined;
  escalation?: string | undefined;
  public?: boolean | undefined;
}

/**
 * A check's owner as tenancy sees it: undefined (the operators) for vigil.yaml's checks and for an
 * owner holding an admin token (`operators`, from the token store), else the owner.
 */
export function tenantOf(owner: string | undefined, operators: ReadonlySet<string>): string | undefined {
  return owner === undefined || operators.has(owner) ? undefined : owner;
}

/** The check with its owner as tenancy sees it (see `tenantOf`). */
export function asTenantCheck<C extends TenantCheck>(check: C, operators: ReadonlySet<string>): C {
  const owner = tenantOf(check.owner, operators);
  if (owner === check.owner) return check;
  const { owner: _operator, ...rest } = check;
  return rest as C;
}

function grantsOf(config: Pick<TenancyConfig, 'grants'>, owner: string): Grant[] {
  return config.grants.filter((grant) => grant.owner === owner);
}

/** Unknown components and escalations named by grants, each with its path (`grants[0].components[1]`). */
export function grantIssues(config: TenancyConfig): FieldIssue[] {
  const components = new Set(config.components.map((component) => component.id));
  const escalations = new Set(config.escalations.map((policy) => policy.id));
  const issues: FieldIssue[] = [];
  config.grants.forEach((grant, i) => {
    grant.components.forEach((id, j) => {
      if (!components.has(id)) {
        issues.push({
          path: formatPath(['grants', i, 'components', j]),
          message: 'expected the id of a declared component',
          received: JSON.stringify(id),
        });
      }
    });
    grant.escalations.forEach((id, j) => {
      if (!escalations.has(id)) {
        issues.push({
          path: formatPath(['grants', i, 'escalations', j]),
          message: 'expected the id of a declared escalation policy',
          received: JSON.stringify(id),
        });
      }
    });
  });
  return issues;
}

/** The owner of a component: its `owner:`, or undefined for the operators (and unknown components). */
export function componentOwner(config: Pick<TenancyConfig, 'components'>, componentId: string): string | undefined {
  return config.components.find((component) => component.id === componentId)?.owner;
}

/** Whether an owner owns a component or is granted it; the operators may use every component. */
export function mayUseComponent(config: Ownership, owner: string | undefined, componentId: string): boolean {
  if (owner === undefined) return true;
  if (componentOwner(config, componentId) === owner) return true;
  return grantsOf(config, owner).some((grant) => grant.components.includes(componentId));
}

/** Whether an owner is granted an escalation policy; the operators may page any. */
export function mayUseEscalation(
  config: Pick<TenancyConfig, 'grants'>,
  owner: string | undefined,
  escalationId: string,
): boolean {
  if (owner === undefined) return true;
  return grantsOf(config, owner).some((grant) => grant.escalations.includes(escalationId));
}

/** Whether an owner may publish on the public status page; the operators always may. */
export function mayPublish(config: Pick<TenancyConfig, 'grants'>, owner: string | undefined): boolean {
  return owner === undefined || grantsOf(config, owner).some((grant) => grant.publish);
}

/**
 * What a check of `owner` may not name, each as a field issue (`component`, `escalation`,
 * `public`): the API answers them with 403. The operators may name anything.
 */
export function tenancyIssues(config: TenancyConfig, check: TenantCheck, owner: string | undefined): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (check.component !== undefined && !mayUseComponent(config, owner, check.component)) {
    issues.push({
      path: 'component',
      message: `owner ${owner} neither owns nor is granted component ${check.component} (grants in vigil.yaml)`,
      received: JSON.stringify(check.component),
    });
  }
  if (check.escalation !== undefined && !mayUseEscalation(config, owner, check.escalation)) {
    issues.push({
      path: 'escalation',
      message: `owner ${owner} is not granted escalation policy ${check.escalation} (grants in vigil.yaml)`,
      received: JSON.stringify(check.escalation),
    });
  }
  if (check.public === true && !mayPublish(config, owner)) {
    issues.push({
      path: 'public',
      message: `publishing on the status page needs an admin token or a grant with publish: true for owner ${owner}`,
      received: 'true',
    });
  }
  return issues;
}

/**
 * The escalation policy a check pages: the operators' checks their own or `default`; another
 * owner's checks their own only if granted, else the first policy granted to the owner, else none
 * (never the operators' `default` unless granted).
 */
export function pagingEscalation(config: TenancyConfig, check: TenantCheck): string | undefined {
  const declared = (id: string) => config.escalations.some((policy) => policy.id === id);
  if (check.owner === undefined) {
    if (check.escalation !== undefined) return check.escalation;
    return declared('default') ? 'default' : undefined;
  }
  if (check.escalation !== undefined && mayUseEscalation(config, check.owner, check.escalation)) {
    return check.escalation;
  }
  return grantsOf(config, check.owner)
    .flatMap((grant) => grant.escalations)
    .find(declared);
}

/**
 * Which checks fail together in one incident, and under which component. A component's incident
 * belongs to its owner: only the owner's checks join `component:<id>` (and so page the owner's
 * policy). A check whose owner is granted the component gets an incident of that component of its
 * own (`component:<id>:owner:<owner>`), paging what its owner is granted; a check whose owner may not
 * use the component at all (say, left there after a grant was withdrawn) gets an incident of its own
 * with no component, so it never joins, sees or shows as the component's.
 */
export function incidentGroup(config: Ownership, check: TenantCheck): { group: string; component?: string } {
  const { component } = check;
  if (component === undefined || !mayUseComponent(config, check.owner, component)) {
    return { group: `check:${check.id}` };
  }
  if (componentOwner(config, component) === check.owner) return { group: `component:${component}`, component };
  return { group: `component:${component}:owner:${check.owner ?? 'operators'}`, component };
}

/**
 * Whether an owner sees (and may act on) an incident: its component is owned by or granted to the
 * owner (unless it is another granted owner's incident of that component), or every member check is
 * the owner's own. Fleet incidents (no component, no member) are
 * the operators'. `ownerOf` answers the owner of a member check (undefined for the operators'), for
 * members that did not record theirs.
 */
export function incidentVisibleTo(
  config: Ownership,
  owner: string | undefined,
  incident: {
    group?: string;
    component?: string | undefined;
    members: readonly { checkId: string; owner?: string | undefined }[];
  },
  ownerOf: (checkId: string) => string | undefined,
): boolean {
  if (owner === undefined) return true;
  // A granted owner's incident of a component is its own: other owners granted the same component
  // (and its owner) do not see it.
  const ownGroup = incident.group?.match(/^component:[^:]+:owner:(.+)$/);
  if (ownGroup) return ownGroup[1] === owner;
  if (incident.component !== undefined && mayUseComponent(config, owner, incident.component)) return true;
  // A member's owner as recorded when it joined; the check's current owner only for members from before.
  const memberOwner = (member: { checkId: string; owner?: string | undefined }) =>
    member.owner ?? ownerOf(member.checkId);
  return incident.members.length > 0 && incident.members.every((member) => memberOwner(member) === owner);
}
