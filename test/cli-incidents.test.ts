import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVigil, startTestApi, type TestApi, writeConfig } from './support/vigil-process.js';

describe('vigil incidents and vigil oncall', { timeout: 60_000 }, () => {
  let api: TestApi;
  let env: Record<string, string>;
  let id = '';
  beforeAll(async () => {
    api = await startTestApi();
    env = api.env(await api.token({ owner: 'ops', scope: 'admin' }));
    const incidents = api.ctx.incidents;
    const opened = await incidents.openOrJoin(
      {
        group: 'component:api',
        title: 'Public API: outage',
        impact: 'major',
        severity: 'major',
        component: 'api',
        startedAt: Date.now() - 60_000,
        member: {
          checkId: 'api-health',
          name: 'API health',
          down: true,
          firstFailedRound: Date.now() - 60_000,
          lastFailedRound: Date.now(),
          vantagesFailing: ['alpha', 'beta'],
          vantagesTotal: 2,
          error: 'connect_refused',
        },
        openedMessage: 'API health is failing from 2 of 2 vantages: connect_refused.',
        joinedMessage: '',
      },
      Date.now(),
      600_000,
    );
    id = opened.id;
  });
  afterAll(async () => {
    await api.close();
  });

  it('lists, shows, acknowledges (once), updates and resolves an incident through the API', async () => {
    const ls = await runVigil(['incidents', 'ls'], { env });
    expect(ls.code, ls.output).toBe(0);
    expect(ls.output).toMatch(/^ID\s+STATUS\s+ACKED\s+CHECKS\s+AGE\s+TITLE$/m);
    expect(ls.output).toMatch(new RegExp(`^${id}\\s+investigating\\s+no\\s+1/1 down`, 'm'));

    // Who acts is the token's identity: there is no --by to name someone else.
    const forged = await runVigil(['incidents', 'ack', id, '--by', 'ana'], { env });
    expect(forged.code).not.toBe(0);
    expect(forged.output).toContain("unknown option '--by'");
    const ack = await runVigil(['incidents', 'ack', id], { env });
    expect(ack.output).toContain(`Incident ${id} acknowledged by ops (ops-admin); escalation stopped.`);
    const again = await runVigil(['incidents', 'ack', id], { env });
    expect(again.output).toContain('was already acknowledged by ops (ops-admin)');

    const update = await runVigil(['incidents', 'update', id, '--status', 'identified', '-m', 'A bad deploy.'], {
      env,
    });
    expect(update.code, update.output).toBe(0);
    expect(update.output).toContain(`Incident ${id} updated: identified.`);
    const bad = await runVigil(['incidents', 'update', id, '--status', 'fixed', '-m', 'x'], { env });
    expect(bad.code).toBe(2);
    expect(bad.output).toContain('--status: expected one of investigating, identified, monitoring, resolved');

    const resolve = await runVigil(['incidents', 'resolve', id, '-m', 'Rolled back.'], { env });
    expect(resolve.output).toContain(`Incident ${id} resolved. Recorded as ops (ops-admin).`);
    const [show, table, open, all] = await Promise.all([
      runVigil(['incidents', 'show', id, '--json'], { env }),
      runVigil(['incidents', 'show', id], { env }),
      runVigil(['incidents', 'ls'], { env }),
      runVigil(['incidents', 'ls', '--all', '--json'], { env }),
    ]);
    const shown = JSON.parse(show.output) as {
      status: string;
      acknowledgedBy: string;
      resolvedBy: string;
      updates: { message: string; by: string }[];
    };
    expect(shown.status).toBe('resolved');
    expect(shown.acknowledgedBy).toBe('ops (ops-admin)');
    expect(shown.resolvedBy).toBe('ops (ops-admin)');
    expect(shown.updates.map((u) => u.message)).toEqual([
      'API health is failing from 2 of 2 vantages: connect_refused.',
      'Acknowledged by ops (ops-admin).',
      'A bad deploy.',
      'Rolled back.',
    ]);
    // Every change is recorded as the token (the API takes no `by`).
    expect(shown.updates.slice(1).map((u) => u.by)).toEqual(['ops (ops-admin)', 'ops (ops-admin)', 'ops (ops-admin)']);
    expect(table.output).toContain(`Incident ${id}: Public API: outage`);
    expect(table.output).toMatch(/downtime\s+at least/);
    expect(open.output).toContain('No incidents.');
    expect((JSON.parse(all.output) as { id: string }[]).map((incident) => incident.id)).toEqual([id]);
  });

  it('an unknown incident is a one-line error with exit code 5', async () => {
    const { code, output } = await runVigil(['incidents', 'ack', '999999'], { env });
    expect(code).toBe(5);
    expect(output.trim()).toBe('vigil: no incident 999999');
  });

  it('a read token may look but not acknowledge (exit 4)', async () => {
    const reader = api.env(await api.token({ owner: 'ops', scope: 'read' }));
    const { code, output } = await runVigil(['incidents', 'ack', id], { env: reader });
    expect(code).toBe(4);
    expect(output.trim()).toBe('vigil: this needs a token with the write scope; this one has read');
  });

  it('`vigil oncall` says who is on call from the local config without a token', async () => {
    const path = await writeConfig(`
vantages: [alpha]
people:
  - { id: ana, name: Ana, email: ana@example.test }
  - { id: bo, name: Bo, email: bo@example.test }
schedules:
  - { id: primary, timezone: Europe/Paris, rotation: { every: 1w, handoff: "mon 09:00", people: [ana, bo], start: "2026-01-05" } }
`);
    const local = api.env();
    const week1 = await runVigil(['oncall', '-c', path, '--at', '2026-01-07T12:00:00Z', '--json'], { env: local });
    expect(JSON.parse(week1.output)).toMatchObject([{ schedule: 'primary', person: { id: 'ana' } }]);
    const week2 = await runVigil(['oncall', '-c', path, '--at', '2026-01-12T09:00:00+01:00'], { env: local });
    expect(week2.output).toMatch(/primary\s+Bo \(bo\)/);
    const bad = await runVigil(['oncall', '-c', path, '--at', 'tomorrow'], { env: local });
    expect(bad.code).toBe(2);
    expect(bad.output).toContain('--at: expected an ISO date-time');
  });

  it('`vigil oncall` asks the API when VIGIL_TOKEN is set', async () => {
    const { code, output } = await runVigil(['oncall', '--at', '2026-01-07T12:00:00Z'], { env });
    expect(code, output).toBe(0);
    expect(output).toMatch(/^SCHEDULE\s+ON CALL\s+UNTIL\s+NEXT$/m);
    expect(output).toMatch(/^primary\s+Ana \(ana\)/m);
  });
});
