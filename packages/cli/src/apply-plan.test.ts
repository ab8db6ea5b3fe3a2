import { type Check, checkRevision, parseConfig } from '@vigil/core';
import type { CheckView } from '@vigil/web';
import { describe, expect, it } from 'vitest';
import { type MaintenanceView, type PlanInput, planApply } from './apply-plan.js';
import { describeChange } from './output/field-diff.js';

const FILE = parseConfig(`
vantages: [alpha]
checks:
  - id: api
    http: { url: "https://api.example.com/", headers: { Authorization: "Bearer one", Accept: "text/plain" } }
  - id: lb
    interval: 30s
    tcp: { host: 5.104.101.30, port: 443 }
maintenances:
  - { id: work, title: Work, checks: [lb], start: "2026-12-01T01:00:00Z", end: "2026-12-01T02:00:00Z" }
`);

function desiredCheck(id: string): Check {
  const check = FILE.checks.find((c) => c.id === id);
  if (!check) throw new Error(`no check ${id} in the fixture`);
  return check;
}

/** A check as the API shows it: credential headers redacted, the revision of the real one. */
function view(check: Check, owner: string | null = 'platform'): CheckView {
  const shown: Check =
    check.kind === 'http'
      ? {
          ...check,
          http: {
            ...check.http,
            headers: Object.fromEntries(
              Object.entries(check.http.headers).map(([name, value]) => [
                name,
                /auth/i.test(name) ? '[redacted]' : value,
              ]),
            ),
          },
        }
      : check;
  const { owner: _owner, ...rest } = shown;
  return {
    ...rest,
    owner,
    source: owner === null ? 'config' : 'api',
    revision: checkRevision(check),
    state: 'up',
  };
}

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    file: 'vigil.yaml',
    desired: { checks: FILE.checks, maintenances: FILE.maintenances },
    current: { checks: [], maintenances: [] },
    self: { owner: 'platform', scope: 'write' },
    prune: false,
    ...overrides,
  };
}

const maintenanceView = (m: (typeof FILE.maintenances)[number]): MaintenanceView => ({ ...m, source: 'api' });
const [WORK] = FILE.maintenances.map(maintenanceView);
if (!WORK) throw new Error('no maintenance in the fixture');

describe('planApply', () => {
  it('creates what the server lacks, and nothing once the server matches', () => {
    expect(planApply(input()).changes.map((c) => `${c.op} ${c.kind} ${c.id}`)).toEqual([
      'create check api',
      'create check lb',
      'create maintenance work',
    ]);
    const current = {
      checks: FILE.checks.map((check) => view(check)),
      maintenances: FILE.maintenances.map(maintenanceView),
    };
    expect(planApply(input({ current }))).toEqual({ changes: [], unchanged: 3, notInFile: [] });
  });

  it('lists changed fields, and a changed secret header without its value', () => {
    const api = desiredCheck('api');
    const lb = desiredCheck('lb');
    if (api.kind !== 'http') throw new Error('the api fixture is an HTTP check');
    const serverApi: Check = {
      ...api,
      http: {
        ...api.http,
        headers: { Authorization: 'Bearer old', Accept: 'text/plain' },
      },
    };
    const current = { checks: [view(serverApi), view({ ...lb, intervalMs: 10_000 })], maintenances: [] };
    const plan = planApply(input({ current }));
    const described = plan.changes
      .filter((change) => change.op === 'change')
      .map((change) => `${change.id}: ${change.fields.map(describeChange).join(', ')}`);
    expect(described).toEqual(['api: http.headers.Authorization changed (value hidden)', 'lb: interval 10s → 30s']);
    expect(JSON.stringify(plan)).not.toContain('Bearer old');
  });

  it('prunes only API checks of the token owner, and maintenances covering only those', () => {
    const current = {
      checks: [
        view(desiredCheck('api')),
        view({ ...desiredCheck('lb'), id: 'old' }),
        view({ ...desiredCheck('lb'), id: 'theirs' }, 'team-b'),
        view({ ...desiredCheck('lb'), id: 'declared' }, null),
      ],
      maintenances: [
        { ...WORK, id: 'old-work', checks: ['old'] },
        { ...WORK, id: 'their-work', checks: ['theirs'] },
      ],
    };
    const kept = planApply(input({ current }));
    expect(kept.notInFile).toEqual([
      { kind: 'check', id: 'old' },
      { kind: 'maintenance', id: 'old-work' },
    ]);
    const pruned = planApply(input({ current, prune: true }));
    expect(pruned.changes.filter((c) => c.op === 'delete').map((c) => `${c.kind} ${c.id}`)).toEqual([
      'maintenance old-work',
      'check old',
    ]);
  });

  it('refuses, naming the file, to change a check of the server’s vigil.yaml or of another owner', () => {
    const changed = { ...desiredCheck('lb'), intervalMs: 10_000 };
    expect(() => planApply(input({ current: { checks: [view(changed, null)], maintenances: [] } }))).toThrow(
      "vigil.yaml checks[1].id: check lb is declared in the server's own vigil.yaml",
    );
    expect(() => planApply(input({ current: { checks: [view(changed, 'team-b')], maintenances: [] } }))).toThrow(
      "vigil.yaml checks[1].id: check lb belongs to team-b, not to this token's owner platform",
    );
  });
});
