import { describeIssues, isVigilError, loadConfig, VigilError } from '@vigil/core';
import type { CheckView } from '@vigil/web';
import type { ApiClient } from '../api-client.js';
import { type MaintenanceView, type Plan, type PlannedChange, planApply } from '../apply-plan.js';
import type { CliContext } from '../cli-context.js';
import type { Palette } from '../output/colour.js';
import { describeChange } from '../output/field-diff.js';
import { relabelIssues } from '../output/field-errors.js';

const SIGN = { create: '+', change: '~', delete: '-' } as const;
const COLLECTION = { check: 'checks', maintenance: 'maintenances' } as const;

function resourcePath(change: Pick<PlannedChange, 'kind' | 'id'>): string {
  return `/api/v1/${COLLECTION[change.kind]}/${encodeURIComponent(change.id)}`;
}

function counts(plan: Plan) {
  const count = (op: PlannedChange['op']) => plan.changes.filter((change) => change.op === op).length;
  return { create: count('create'), change: count('change'), delete: count('delete'), unchanged: plan.unchanged };
}

/** `+ check api-health`, `~ check lb-ip-1: interval 30s → 10s`, then the summary. */
export function renderPlan(plan: Plan, colours: Palette): string {
  const paint = { create: colours.green, change: colours.yellow, delete: colours.red };
  const lines = plan.changes.map((change) => {
    const head = paint[change.op](`${SIGN[change.op]} ${change.kind} ${change.id}`);
    return change.fields.length > 0 ? `${head}: ${change.fields.map(describeChange).join(', ')}` : head;
  });
  const n = counts(plan);
  if (plan.changes.length === 0) lines.push(`Nothing to change: ${n.unchanged} up to date.`);
  else lines.push(`${n.create} to create, ${n.change} to change, ${n.delete} to delete (${n.unchanged} up to date).`);
  if (plan.notInFile.length > 0) {
    const names = plan.notInFile.map((item) => `${item.kind} ${item.id}`).join(', ');
    lines.push(`Not in the file, left alone (--prune deletes them): ${names}.`);
  }
  return lines.join('\n');
}

/** `vigil.yaml checks[2].http.url`: the server's paths are relative to the resource. */
function fileLabel(file: string, change: PlannedChange): (path: string) => string {
  const at = `${file} ${COLLECTION[change.kind]}[${change.index ?? '?'}]`;
  return (path) => {
    if (path === '(root)') return at;
    if (path.startsWith('quota.')) return `${path} (${at})`;
    return path.startsWith('[') ? `${at}${path}` : `${at}.${path}`;
  };
}

async function execute(api: ApiClient, file: string, change: PlannedChange): Promise<void> {
  try {
    if (change.op === 'delete') await api.delete(resourcePath(change));
    else await api.put(resourcePath(change), change.body);
  } catch (err) {
    // Gone already is what a delete wanted.
    if (change.op === 'delete' && isVigilError(err, 'NOT_FOUND')) return;
    if (change.op === 'delete') throw err;
    // A PUT creating an id another owner holds answers the 404 of a missing check (no oracle in the
    // API); to a create it can only mean the id is taken.
    const taken = isVigilError(err, 'CONFLICT') || isVigilError(err, 'NOT_FOUND');
    if (change.op === 'create' && change.kind === 'check' && taken) {
      const path = fileLabel(file, change)('id');
      const message = `check ${change.id} already exists and belongs to another owner; pick another id`;
      throw new VigilError('CONFLICT', `${path}: ${message}`, [{ path, message }]);
    }
    throw relabelIssues(err, fileLabel(file, change));
  }
}

/** The file's checks and maintenances; its errors name the file and the field (`vigil.yaml checks[1].interval`). */
async function readDesired(file: string, processEnv: NodeJS.ProcessEnv) {
  let desired: Awaited<ReturnType<typeof loadConfig>>;
  try {
    desired = await loadConfig(file, processEnv);
  } catch (err) {
    if (!isVigilError(err, 'CONFIG_INVALID') || err.issues.some((issue) => issue.path.startsWith(file))) throw err;
    throw relabelIssues(err, (path) => `${file} ${path}`);
  }
  refusePrivateTargetAllowances(file, desired.privateTargetAllowances ?? []);
  return desired;
}

/** `allowPrivateTarget` is the server's vigil.yaml's to give: checks sent through the API never have it. */
function refusePrivateTargetAllowances(file: string, allowances: readonly { checkId: string; index: number }[]): void {
  if (allowances.length === 0) return;
  const issues = allowances.map(({ checkId, index }) => ({
    path: `${file} checks[${index}].allowPrivateTarget`,
    message: `check ${checkId}: only the server's own vigil.yaml may allow a private target; the API refuses one`,
  }));
  throw new VigilError('VALIDATION', describeIssues(issues), issues);
}

/** `vigil apply`: plans the file against the server, prints the plan, and applies it unless told not to. */
export async function apply(
  cli: CliContext,
  opts: { file: string; dryRun?: boolean; prune?: boolean; json?: boolean },
) {
  const desired = await readDesired(opts.file, cli.processEnv);
  const api = cli.api();
  const [checks, maintenances, self] = await Promise.all([
    api.all<CheckView>('/api/v1/checks'),
    api.get<{ items: MaintenanceView[] }>('/api/v1/maintenances'),
    api.get<{ owner: string; scope: string }>('/api/v1/tokens/self'),
  ]);
  const plan = planApply({
    file: opts.file,
    desired,
    current: { checks, maintenances: maintenances.items },
    self,
    prune: Boolean(opts.prune),
  });
  const write = !opts.dryRun && plan.changes.length > 0;
  if (!opts.json) cli.out(renderPlan(plan, cli.colours));
  for (const change of write ? plan.changes : []) await execute(api, opts.file, change);
  if (opts.json) {
    const changes = plan.changes.map(({ body: _body, index: _index, ...change }) => change);
    cli.json({ file: opts.file, dryRun: Boolean(opts.dryRun), applied: write, changes, summary: counts(plan) });
  } else if (opts.dryRun && plan.changes.length > 0) {
    cli.out('Dry run: nothing was written.');
  } else if (write) {
    const n = counts(plan);
    cli.out(`Applied: ${n.create} created, ${n.change} changed, ${n.delete} deleted.`);
  }
}
