import { createRedis, IncidentStore, redisKeys } from '@vigil/core';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '@vigil/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVigil, writeConfig } from './support/vigil-process.js';

describe('vigil incidents and vigil oncall', () => {
  const prefix = uniquePrefix('cli-inc');
  const redis = createRedis(TEST_REDIS_URL);
  const incidents = new IncidentStore({ redis, keys: redisKeys(prefix) });
  const env = { REDIS_URL: TEST_REDIS_URL, VIGIL_PREFIX: prefix };
  let id = '';
  beforeAll(async () => {
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
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('lists, shows, acknowledges (once), updates and resolves an incident', async () => {
    const ls = await runVigil(['incidents', 'ls'], { env });
    expect(ls.code).toBe(0);
    expect(ls.output).toMatch(new RegExp(`^${id}\\s+investigating\\s+no\\s+1/1 down`, 'm'));

    const ack = await runVigil(['incidents', 'ack', id, '--by', 'ana'], { env });
    expect(ack.output).toContain(`Incident ${id} acknowledged by ana; escalation stopped.`);
    const again = await runVigil(['incidents', 'ack', id, '--by', 'bo'], { env });
    expect(again.output).toContain('was already acknowledged by ana');

    const update = await runVigil(['incidents', 'update', id, '--status', 'identified', '-m', 'A bad deploy.'], {
      env,
    });
    expect(update.code).toBe(0);
    const bad = await runVigil(['incidents', 'update', id, '--status', 'fixed', '-m', 'x'], { env });
    expect(bad.code).toBe(2);
    expect(bad.output).toContain('--status: expected one of investigating, identified, monitoring, resolved');

    const resolve = await runVigil(['incidents', 'resolve', id, '--by', 'ana', '-m', 'Rolled back.'], { env });
    expect(resolve.output).toContain(`Incident ${id} resolved.`);
    const show = await runVigil(['incidents', 'show', id, '--json'], { env });
    const shown = JSON.parse(show.output) as { status: string; acknowledgedBy: string; updates: { message: string }[] };
    expect(shown.status).toBe('resolved');
    expect(shown.acknowledgedBy).toBe('ana');
    expect(shown.updates.map((u) => u.message)).toEqual([
      'API health is failing from 2 of 2 vantages: connect_refused.',
      'Acknowledged by ana.',
      'A bad deploy.',
      'Rolled back.',
    ]);
    expect((await runVigil(['incidents', 'ls'], { env })).output).toContain('No incidents.');
  });

  it('an unknown incident is a one-line error with exit code 2', async () => {
    const { code, output } = await runVigil(['incidents', 'ack', '999999'], { env });
    expect(code).toBe(2);
    expect(output.trim()).toBe('vigil: incident 999999 does not exist');
  });

  it('`vigil oncall` says who is on call now or at a given time', async () => {
    const path = await writeConfig(`
vantages: [alpha]
people:
  - { id: ana, name: Ana, email: ana@example.test }
  - { id: bo, name: Bo, email: bo@example.test }
schedules:
  - { id: primary, timezone: Europe/Paris, rotation: { every: 1w, handoff: "mon 09:00", people: [ana, bo], start: "2026-01-05" } }
`);
    const week1 = await runVigil(['oncall', '-c', path, '--at', '2026-01-07T12:00:00Z', '--json'], { env });
    expect(JSON.parse(week1.output)).toMatchObject([{ schedule: 'primary', person: { id: 'ana' } }]);
    const week2 = await runVigil(['oncall', '-c', path, '--at', '2026-01-12T09:00:00+01:00'], { env });
    expect(week2.output).toMatch(/primary\s+Bo \(bo\)/);
    const bad = await runVigil(['oncall', '-c', path, '--at', 'tomorrow'], { env });
    expect(bad.code).toBe(2);
    expect(bad.output).toContain('--at: expected an ISO date-time');
  });
});
