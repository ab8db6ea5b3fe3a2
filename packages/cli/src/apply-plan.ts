import { type Check, checkRevision, checkToInput, type Maintenance, maintenanceToInput, VigilError } from '@vigil/core';
import type { CheckView } from '@vigil/web';
import { checkChanges, diffFields, type FieldChange } from './output/field-diff.js';

/** A maintenance as `GET /api/v1/maintenances` lists it. */
export type MaintenanceView = Maintenance & {
  source: 'config' | 'api';
  active?: boolean;
  window?: unknown;
  next?: unknown;
};

export type ResourceKind = 'check' | 'maintenance';

/** One step of an apply. `index` is the resource's place in the file (creates and changes). */
export interface PlannedChange {
  op: 'create' | 'change' | 'delete';
  kind: ResourceKind;
  id: string;
  index?: number;
  fields: FieldChange[];
  /** What PUT sends (creates and changes). */
  body?: Record<string, unknown>;
}

export interface Plan {
  changes: PlannedChange[];
  /** Resources already as the file says. */
  unchanged: number;
  /** Resources of this token's owner that the file lacks: deleted with --prune, else left alone. */
  notInFile: { kind: ResourceKind; id: string }[];
}

export interface PlanInput {
  /** The file, as it appears in messages (`vigil.yaml`). */
  file: string;
  desired: { checks: readonly Check[]; maintenances: readonly Maintenance[] };
  current: { checks: readonly CheckView[]; maintenances: readonly MaintenanceView[] };
  /** The token's owner and whether it is an admin (`GET /api/v1/tokens/self`). */
  self: { owner: string; scope: string };
  prune: boolean;
}

/** A resource the file names that apply may not change: refused before anything is written. */
function notOurs(file: string, kind: ResourceKind, index: number, why: string): VigilError {
  const path = `${file} ${kind === 'check' ? 'checks' : 'maintenances'}[${index}].id`;
  return new VigilError('CONFLICT', `${path}: ${why}`, [{ path, message: why }]);
}

const DECLARED = "is declared in the server's own vigil.yaml; change it there, or use another id";

function planChecks(input: PlanInput): { changes: PlannedChange[]; unchanged: number } {
  const current = new Map(input.current.checks.map((check) => [check.id, check]));
  const changes: PlannedChange[] = [];
  let unchanged = 0;
  for (const [index, check] of input.desired.checks.entries()) {
    const server = current.get(check.id);
    const body = checkToInput(check);
    if (!server) changes.push({ op: 'create', kind: 'check', id: check.id, index, fields: [], body });
    else if (server.revision === checkRevision(check)) unchanged++;
    else if (server.source === 'config') throw notOurs(input.file, 'check', index, `check ${check.id} ${DECLARED}`);
    else if (server.owner !== input.self.owner) {
      const why = `check ${check.id} belongs to ${server.owner}, not to this token's owner ${input.self.owner}`;
      throw notOurs(input.file, 'check', index, `${why}; pick another id`);
    } else
      changes.push({ op: 'change', kind: 'check', id: check.id, index, fields: checkChanges(check, server), body });
  }
  return { changes, unchanged };
}

/** The stored maintenance behind a view, in input form (what PUT takes and what the file says). */
function maintenanceInput(view: MaintenanceView): Record<string, unknown> {
  const { source: _source, active: _active, window: _window, next: _next, ...maintenance } = view;
  return maintenanceToInput(maintenance);
}

function planMaintenances(input: PlanInput): { changes: PlannedChange[]; unchanged: number } {
  const current = new Map(input.current.maintenances.map((m) => [m.id, m]));
  const changes: PlannedChange[] = [];
  let unchanged = 0;
  for (const [index, maintenance] of input.desired.maintenances.entries()) {
    const server = current.get(maintenance.id);
    const body = maintenanceToInput(maintenance);
    const fields = server ? diffFields(maintenanceInput(server), body) : [];
    if (!server) changes.push({ op: 'create', kind: 'maintenance', id: maintenance.id, index, fields, body });
    else if (fields.length === 0) unchanged++;
    else if (server.source === 'config') {
      throw notOurs(input.file, 'maintenance', index, `maintenance ${maintenance.id} ${DECLARED}`);
    } else changes.push({ op: 'change', kind: 'maintenance', id: maintenance.id, index, fields, body });
  }
  return { changes, unchanged };
}

/**
 * What the token's owner has on the server that the file lacks: API checks it owns (never checks
 * from the server's vigil.yaml), and API maintenances that cover only such checks. Maintenances
 * have no owner, so one covering nothing of ours, or whole components without an admin token, stays.
 */
function notInFile(input: PlanInput): { kind: ResourceKind; id: string }[] {
  const wanted = new Set(input.desired.checks.map((check) => check.id));
  const ours = input.current.checks.filter((c) => c.source === 'api' && c.owner === input.self.owner);
  const owned = new Set(ours.map((check) => check.id));
  const wantedMaintenances = new Set(input.desired.maintenances.map((m) => m.id));
  const maintenances = input.current.maintenances.filter(
    (m) =>
      m.source === 'api' &&
      !wantedMaintenances.has(m.id) &&
      m.checks.length > 0 &&
      m.checks.every((id) => owned.has(id)) &&
      (m.components.length === 0 || input.self.scope === 'admin'),
  );
  return [
    ...ours.filter((check) => !wanted.has(check.id)).map((check) => ({ kind: 'check' as const, id: check.id })),
    ...maintenances.map((m) => ({ kind: 'maintenance' as const, id: m.id })),
  ];
}

/**
 * Compares the file with the server: creates and changes in file order (checks before the
 * maintenances that may name them), then, with `prune`, deletes (maintenances before checks).
 * A difference from a check of another owner, or from anything the server's own vigil.yaml
 * declares, is a CONFLICT before any write: apply manages the token owner's resources only.
 */
export function planApply(input: PlanInput): Plan {
  const checks = planChecks(input);
  const maintenances = planMaintenances(input);
  const leftovers = notInFile(input);
  const deletes: PlannedChange[] = input.prune
    ? [...leftovers]
        .sort((a, b) => (a.kind === b.kind ? a.id.localeCompare(b.id) : a.kind === 'maintenance' ? -1 : 1))
        .map((item) => ({ op: 'delete', ...item, fields: [] }))
    : [];
  return {
    changes: [...checks.changes, ...maintenances.changes, ...deletes],
    unchanged: checks.unchanged + maintenances.unchanged,
    notInFile: input.prune ? [] : leftovers,
  };
}
