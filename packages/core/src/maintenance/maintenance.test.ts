import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { activeMaintenances, isUnderMaintenance, maintenanceWindowAt, upcomingWindows } from './maintenance.js';
import { maintenanceSchema } from './maintenance-schema.js';

const DAY = 86_400_000;
const at = (iso: string) => Date.parse(iso);

const upgrade = maintenanceSchema.parse({
  id: 'db-upgrade',
  title: 'Database upgrade',
  checks: ['api-health'],
  start: '2026-03-05T02:00:00Z',
  end: '2026-03-05T04:00:00Z',
});

// Tuesdays 02:00-03:00 New York time: 07:00Z in winter (EST), 06:00Z in summer (EDT, from 8 March 2026).
const backups = maintenanceSchema.parse(
  parse(`
id: weekly-backups
title: Weekly backups
components: [db]
start: "2026-03-03T02:00:00-05:00"
recurring: { every: 1w, duration: 1h, timezone: America/New_York }
`),
);

describe('maintenanceWindowAt: one-off', () => {
  it('is [start, end)', () => {
    expect(maintenanceWindowAt(upgrade, at('2026-03-05T01:59:00Z'))).toBeUndefined();
    expect(maintenanceWindowAt(upgrade, at('2026-03-05T02:00:00Z'))).toEqual({
      start: at('2026-03-05T02:00:00Z'),
      end: at('2026-03-05T04:00:00Z'),
    });
    expect(maintenanceWindowAt(upgrade, at('2026-03-05T03:59:00Z'))).toBeDefined();
    expect(maintenanceWindowAt(upgrade, at('2026-03-05T04:00:00Z'))).toBeUndefined();
  });
});

describe('maintenanceWindowAt: recurring', () => {
  it('has no window before its start', () => {
    expect(maintenanceWindowAt(backups, at('2026-03-03T06:59:00Z'))).toBeUndefined();
    expect(maintenanceWindowAt(backups, at('2026-02-24T07:30:00Z'))).toBeUndefined();
  });

  it('opens its first window at start and closes it exactly `duration` later', () => {
    expect(maintenanceWindowAt(backups, at('2026-03-03T07:00:00Z'))).toEqual({
      start: at('2026-03-03T07:00:00Z'),
      end: at('2026-03-03T08:00:00Z'),
    });
    expect(maintenanceWindowAt(backups, at('2026-03-03T08:00:00Z'))).toBeUndefined();
    expect(maintenanceWindowAt(backups, at('2026-03-04T07:30:00Z'))).toBeUndefined();
  });

  it('stays at 02:00 New York time after the clocks go forward', () => {
    expect(maintenanceWindowAt(backups, at('2026-03-10T05:59:00Z'))).toBeUndefined();
    expect(maintenanceWindowAt(backups, at('2026-03-10T06:30:00Z'))).toEqual({
      start: at('2026-03-10T06:00:00Z'),
      end: at('2026-03-10T07:00:00Z'),
    });
    expect(maintenanceWindowAt(backups, at('2026-03-10T07:00:00Z'))).toBeUndefined();
  });

  it('stays at 02:00 New York time after the clocks go back', () => {
    expect(maintenanceWindowAt(backups, at('2026-10-27T06:00:00Z'))).toEqual({
      start: at('2026-10-27T06:00:00Z'),
      end: at('2026-10-27T07:00:00Z'),
    });
    expect(maintenanceWindowAt(backups, at('2026-11-03T06:30:00Z'))).toBeUndefined();
    expect(maintenanceWindowAt(backups, at('2026-11-03T07:00:00Z'))).toEqual({
      start: at('2026-11-03T07:00:00Z'),
      end: at('2026-11-03T08:00:00Z'),
    });
  });

  it('counts multi-day periods from the first window', () => {
    const everyOtherDay = maintenanceSchema.parse({
      id: 'reindex',
      title: 'Reindex',
      checks: ['search'],
      start: '2026-01-01T23:30:00Z',
      recurring: { every: '2d', duration: '1h' },
    });
    expect(maintenanceWindowAt(everyOtherDay, at('2026-01-02T00:15:00Z'))).toBeDefined();
    expect(maintenanceWindowAt(everyOtherDay, at('2026-01-02T23:45:00Z'))).toBeUndefined();
    expect(maintenanceWindowAt(everyOtherDay, at('2026-01-04T00:15:00Z'))).toEqual({
      start: at('2026-01-03T23:30:00Z'),
      end: at('2026-01-04T00:30:00Z'),
    });
  });
});

describe('activeMaintenances and isUnderMaintenance', () => {
  const maintenances = [upgrade, backups];

  it('lists the maintenances open at a time', () => {
    expect(activeMaintenances(maintenances, at('2026-03-03T07:30:00Z'))).toEqual([backups]);
    expect(activeMaintenances(maintenances, at('2026-03-05T03:00:00Z'))).toEqual([upgrade]);
    expect(activeMaintenances(maintenances, at('2026-03-05T04:00:00Z'))).toEqual([]);
  });

  it('matches a check by its component', () => {
    const dbPing = { id: 'db-ping', component: 'db' };
    expect(isUnderMaintenance(maintenances, dbPing, at('2026-03-10T06:30:00Z'))).toBe(backups);
    expect(isUnderMaintenance(maintenances, dbPing, at('2026-03-10T07:00:00Z'))).toBeUndefined();
    expect(isUnderMaintenance(maintenances, { id: 'api-health' }, at('2026-03-10T06:30:00Z'))).toBeUndefined();
  });

  it('matches a check by its id', () => {
    const apiHealth = { id: 'api-health', component: 'api' };
    expect(isUnderMaintenance(maintenances, apiHealth, at('2026-03-05T02:30:00Z'))).toBe(upgrade);
    expect(isUnderMaintenance(maintenances, { id: 'db-ping' }, at('2026-03-05T02:30:00Z'))).toBeUndefined();
  });
});

describe('upcomingWindows', () => {
  it('lists ongoing and upcoming windows in order of start', () => {
    const past = maintenanceSchema.parse({
      id: 'past',
      title: 'Done already',
      checks: ['api-health'],
      start: '2026-03-01T00:00:00Z',
      end: '2026-03-01T01:00:00Z',
    });
    const windows = upcomingWindows([past, upgrade, backups], at('2026-03-03T07:30:00Z'), 14 * DAY);
    expect(windows.map(({ maintenance, start, end }) => [maintenance.id, start, end])).toEqual([
      ['weekly-backups', at('2026-03-03T07:00:00Z'), at('2026-03-03T08:00:00Z')],
      ['db-upgrade', at('2026-03-05T02:00:00Z'), at('2026-03-05T04:00:00Z')],
      ['weekly-backups', at('2026-03-10T06:00:00Z'), at('2026-03-10T07:00:00Z')],
      ['weekly-backups', at('2026-03-17T06:00:00Z'), at('2026-03-17T07:00:00Z')],
    ]);
  });

  it('leaves out windows that start at or after the horizon, and recurrences before start', () => {
    const windows = upcomingWindows(
      [upgrade, backups],
      at('2026-02-20T00:00:00Z'),
      at('2026-03-05T02:00:00Z') - at('2026-02-20T00:00:00Z'),
    );
    expect(windows.map(({ maintenance, start }) => [maintenance.id, start])).toEqual([
      ['weekly-backups', at('2026-03-03T07:00:00Z')],
    ]);
  });
});
