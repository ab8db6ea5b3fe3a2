import { describe, expect, it } from 'vitest';
import { nextHandoffs, onCallAt, onCallPeople } from './oncall.js';
import { scheduleSchema } from './schedule.js';

const MINUTE = 60_000;
const at = (iso: string) => Date.parse(iso);
const who = (schedule: ReturnType<typeof scheduleSchema.parse>, iso: string) => onCallAt(schedule, at(iso))?.personId;

describe('onCallAt: daily rotation', () => {
  const schedule = scheduleSchema.parse({
    id: 'primary',
    rotation: { every: '1d', handoff: '09:00', people: ['ana', 'ben', 'cleo'], start: '2026-01-05' },
  });

  it('hands off at 09:00, not a minute earlier', () => {
    expect(who(schedule, '2026-01-05T09:00:00Z')).toBe('ana');
    expect(who(schedule, '2026-01-06T08:59:00Z')).toBe('ana');
    expect(who(schedule, '2026-01-06T09:00:00Z')).toBe('ben');
    expect(who(schedule, '2026-01-06T09:01:00Z')).toBe('ben');
  });

  it('wraps around to the first person after the last', () => {
    expect(who(schedule, '2026-01-07T12:00:00Z')).toBe('cleo');
    expect(who(schedule, '2026-01-08T12:00:00Z')).toBe('ana');
    expect(who(schedule, '2026-01-09T12:00:00Z')).toBe('ben');
  });

  it('gives the time before the first handoff to the last person, counting backwards', () => {
    expect(onCallAt(schedule, at('2026-01-05T08:59:00Z'))).toEqual({
      personId: 'cleo',
      layer: 0,
      shiftStart: at('2026-01-04T09:00:00Z'),
      shiftEnd: at('2026-01-05T09:00:00Z'),
    });
    expect(who(schedule, '2026-01-03T12:00:00Z')).toBe('ben');
    expect(who(schedule, '2025-12-21T12:00:00Z')).toBe('ana');
  });

  it('reports the shift bounds', () => {
    expect(onCallAt(schedule, at('2026-01-06T15:00:00Z'))).toEqual({
      personId: 'ben',
      layer: 0,
      shiftStart: at('2026-01-06T09:00:00Z'),
      shiftEnd: at('2026-01-07T09:00:00Z'),
    });
  });
});

describe('onCallAt: weekly rotation', () => {
  // 2026-01-07 is a Wednesday: the first handoff is Monday 2026-01-12 at 09:00.
  const schedule = scheduleSchema.parse({
    id: 'weekly',
    rotation: { every: '1w', handoff: 'mon 09:00', people: ['ana', 'ben', 'cleo'], start: '2026-01-07' },
  });

  it('starts on the first handoff weekday at or after start', () => {
    expect(who(schedule, '2026-01-12T08:59:00Z')).toBe('cleo');
    expect(who(schedule, '2026-01-12T09:00:00Z')).toBe('ana');
    expect(who(schedule, '2026-01-19T08:59:00Z')).toBe('ana');
    expect(who(schedule, '2026-01-19T09:01:00Z')).toBe('ben');
    expect(who(schedule, '2026-01-26T09:00:00Z')).toBe('cleo');
    expect(who(schedule, '2026-02-02T09:00:00Z')).toBe('ana');
  });

  it('gives the days between start and the first handoff to the last person', () => {
    expect(onCallAt(schedule, at('2026-01-08T12:00:00Z'))).toEqual({
      personId: 'cleo',
      layer: 0,
      shiftStart: at('2026-01-05T09:00:00Z'),
      shiftEnd: at('2026-01-12T09:00:00Z'),
    });
  });

  it('counts multi-week shifts', () => {
    const fortnightly = scheduleSchema.parse({
      id: 'fortnightly',
      rotation: { every: '2w', handoff: 'mon 09:00', people: ['ana', 'ben'], start: '2026-01-05' },
    });
    expect(who(fortnightly, '2026-01-18T23:00:00Z')).toBe('ana');
    expect(who(fortnightly, '2026-01-19T09:00:00Z')).toBe('ben');
    expect(who(fortnightly, '2026-02-02T09:00:00Z')).toBe('ana');
  });
});

describe('onCallAt: daylight saving time in Europe/Paris', () => {
  const schedule = scheduleSchema.parse({
    id: 'paris',
    timezone: 'Europe/Paris',
    rotation: { every: '1d', handoff: '09:00', people: ['ana', 'ben'], start: '2026-03-01' },
  });

  it('keeps the handoff at 09:00 local when the clocks go forward (29 March)', () => {
    // 28 March 09:00 CET is 08:00Z; 29 and 30 March 09:00 CEST are 07:00Z.
    expect(who(schedule, '2026-03-28T07:59:00Z')).toBe('ana');
    expect(who(schedule, '2026-03-28T08:00:00Z')).toBe('ben');
    expect(who(schedule, '2026-03-29T06:59:00Z')).toBe('ben');
    expect(onCallAt(schedule, at('2026-03-29T07:00:00Z'))).toMatchObject({
      personId: 'ana',
      shiftStart: at('2026-03-29T07:00:00Z'),
      shiftEnd: at('2026-03-30T07:00:00Z'),
    });
    expect(onCallAt(schedule, at('2026-03-28T12:00:00Z'))).toMatchObject({
      shiftStart: at('2026-03-28T08:00:00Z'),
      shiftEnd: at('2026-03-29T07:00:00Z'),
    });
  });

  it('keeps the handoff at 09:00 local when the clocks go back (25 October)', () => {
    // 24 October 09:00 CEST is 07:00Z; 25 October 09:00 CET is 08:00Z.
    expect(who(schedule, '2026-10-24T06:59:00Z')).toBe('ana');
    expect(who(schedule, '2026-10-24T07:00:00Z')).toBe('ben');
    expect(who(schedule, '2026-10-25T07:00:00Z')).toBe('ben');
    expect(who(schedule, '2026-10-25T07:59:00Z')).toBe('ben');
    expect(onCallAt(schedule, at('2026-10-25T08:00:00Z'))).toMatchObject({
      personId: 'ana',
      shiftStart: at('2026-10-25T08:00:00Z'),
      shiftEnd: at('2026-10-26T08:00:00Z'),
    });
  });
});

describe('onCallAt: 12-hour shifts', () => {
  const schedule = scheduleSchema.parse({
    id: 'halves',
    rotation: { every: '12h', handoff: '09:00', people: ['ana', 'ben'], start: '2026-01-05' },
  });

  it('hands off every 12 hours from the first handoff', () => {
    expect(who(schedule, '2026-01-05T20:59:00Z')).toBe('ana');
    expect(who(schedule, '2026-01-05T21:00:00Z')).toBe('ben');
    expect(who(schedule, '2026-01-06T08:59:00Z')).toBe('ben');
    expect(who(schedule, '2026-01-06T09:00:00Z')).toBe('ana');
    expect(who(schedule, '2026-01-05T08:59:00Z')).toBe('ben');
  });
});

describe('onCallAt: layers with restrictions', () => {
  const schedule = scheduleSchema.parse({
    id: 'layered',
    timezone: 'Europe/Paris',
    layers: [
      { rotation: { every: '1w', handoff: 'mon 09:00', people: ['night-a', 'night-b'], start: '2026-01-05' } },
      {
        rotation: { every: '1d', handoff: '09:00', people: ['day-a', 'day-b'], start: '2026-01-05' },
        restrict: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: '09:00-18:00' },
      },
    ],
  });

  it('lets the business-hours layer take precedence on weekdays, clipped to its hours', () => {
    // Tuesday 2026-01-06 10:00 CET.
    expect(onCallAt(schedule, at('2026-01-06T09:00:00Z'))).toEqual({
      personId: 'day-b',
      layer: 1,
      shiftStart: at('2026-01-06T08:00:00Z'),
      shiftEnd: at('2026-01-06T17:00:00Z'),
    });
  });

  it('falls back to the 24/7 layer outside business hours', () => {
    expect(onCallAt(schedule, at('2026-01-06T07:59:00Z'))).toMatchObject({ personId: 'night-a', layer: 0 });
    expect(who(schedule, '2026-01-06T08:00:00Z')).toBe('day-b');
    expect(who(schedule, '2026-01-06T16:59:00Z')).toBe('day-b');
    expect(who(schedule, '2026-01-06T17:00:00Z')).toBe('night-a');
  });

  it('falls back to the 24/7 layer at weekends', () => {
    // Saturday 2026-01-10 12:00 CET.
    expect(onCallAt(schedule, at('2026-01-10T11:00:00Z'))).toMatchObject({ personId: 'night-a', layer: 0 });
    expect(who(schedule, '2026-01-12T09:00:00Z')).toBe('day-b');
    expect(who(schedule, '2026-01-12T20:00:00Z')).toBe('night-b');
  });

  it('honours hours that run to 24:00', () => {
    const evenings = scheduleSchema.parse({
      id: 'evenings',
      layers: [
        { rotation: { every: '1d', people: ['ana'] } },
        { rotation: { every: '1d', people: ['ben'] }, restrict: { hours: '18:00-24:00' } },
      ],
    });
    expect(who(evenings, '2026-01-06T17:59:00Z')).toBe('ana');
    expect(onCallAt(evenings, at('2026-01-06T23:59:00Z'))).toMatchObject({
      personId: 'ben',
      shiftStart: at('2026-01-06T18:00:00Z'),
      shiftEnd: at('2026-01-07T00:00:00Z'),
    });
    expect(who(evenings, '2026-01-07T00:00:00Z')).toBe('ana');
  });

  it('wraps hours whose end is before their start past midnight', () => {
    const nights = scheduleSchema.parse({
      id: 'nights',
      layers: [
        { rotation: { every: '1d', people: ['ana'] } },
        { rotation: { every: '1d', people: ['ben'] }, restrict: { hours: '22:00-06:00' } },
      ],
    });
    expect(who(nights, '2026-01-06T21:59:00Z')).toBe('ana');
    expect(onCallAt(nights, at('2026-01-06T23:00:00Z'))).toMatchObject({
      personId: 'ben',
      shiftStart: at('2026-01-06T22:00:00Z'),
      shiftEnd: at('2026-01-07T00:00:00Z'),
    });
    expect(onCallAt(nights, at('2026-01-07T05:59:00Z'))).toMatchObject({
      personId: 'ben',
      shiftStart: at('2026-01-07T00:00:00Z'),
      shiftEnd: at('2026-01-07T06:00:00Z'),
    });
    expect(who(nights, '2026-01-07T06:00:00Z')).toBe('ana');
  });
});

describe('onCallAt: overrides', () => {
  const schedule = scheduleSchema.parse({
    id: 'primary',
    rotation: { every: '1d', handoff: '09:00', people: ['ana', 'ben'], start: '2026-01-05' },
    overrides: [{ person: 'dan', start: '2026-01-05T12:00:00Z', end: '2026-01-05T18:00:00Z' }],
  });

  it('pages the override person inside the override window', () => {
    expect(onCallAt(schedule, at('2026-01-05T12:00:00Z'))).toEqual({
      personId: 'dan',
      layer: 1,
      shiftStart: at('2026-01-05T12:00:00Z'),
      shiftEnd: at('2026-01-05T18:00:00Z'),
      override: true,
    });
    expect(who(schedule, '2026-01-05T17:59:00Z')).toBe('dan');
  });

  it('returns to the rotation at the override end exactly', () => {
    expect(onCallAt(schedule, at('2026-01-05T18:00:00Z'))).toEqual({
      personId: 'ana',
      layer: 0,
      shiftStart: at('2026-01-05T09:00:00Z'),
      shiftEnd: at('2026-01-06T09:00:00Z'),
    });
    expect(who(schedule, '2026-01-05T11:59:00Z')).toBe('ana');
  });
});

describe('onCallPeople', () => {
  it('maps each schedule id to its on-call person', () => {
    const schedules = [
      scheduleSchema.parse({ id: 'primary', rotation: { every: '1d', people: ['ana', 'ben'], start: '2026-01-05' } }),
      scheduleSchema.parse({ id: 'empty', layers: [] }),
    ];
    expect(onCallPeople(schedules, at('2026-01-06T10:00:00Z'))).toEqual(
      new Map([
        ['primary', 'ben'],
        ['empty', undefined],
      ]),
    );
  });
});

describe('nextHandoffs', () => {
  it('lists the next changes of person, across DST in the schedule zone', () => {
    const schedule = scheduleSchema.parse({
      id: 'paris',
      timezone: 'Europe/Paris',
      rotation: { every: '1d', handoff: '09:00', people: ['ana', 'ben', 'cleo'], start: '2026-03-27' },
    });
    expect(nextHandoffs(schedule, at('2026-03-27T12:00:00Z'), 3)).toEqual([
      { at: at('2026-03-28T08:00:00Z'), personId: 'ben' },
      { at: at('2026-03-29T07:00:00Z'), personId: 'cleo' },
      { at: at('2026-03-30T07:00:00Z'), personId: 'ana' },
    ]);
  });

  it('includes override edges and restricted layers, and skips boundaries that keep the same person', () => {
    const schedule = scheduleSchema.parse({
      id: 'layered',
      layers: [
        { rotation: { every: '1w', handoff: 'mon 09:00', people: ['night'], start: '2026-01-05' } },
        {
          rotation: { every: '1d', handoff: '09:00', people: ['day-a', 'day-b'], start: '2026-01-05' },
          restrict: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: '09:00-18:00' },
        },
      ],
      overrides: [{ person: 'dan', start: '2026-01-06T12:00:00Z', end: '2026-01-06T14:00:00Z' }],
    });
    expect(nextHandoffs(schedule, at('2026-01-06T08:00:00Z'), 5)).toEqual([
      { at: at('2026-01-06T09:00:00Z'), personId: 'day-b' },
      { at: at('2026-01-06T12:00:00Z'), personId: 'dan' },
      { at: at('2026-01-06T14:00:00Z'), personId: 'day-b' },
      { at: at('2026-01-06T18:00:00Z'), personId: 'night' },
      { at: at('2026-01-07T09:00:00Z'), personId: 'day-a' },
    ]);
  });

  it('returns fewer changes when the person never changes within a year', () => {
    const schedule = scheduleSchema.parse({ id: 'solo', rotation: { every: '1w', people: ['ana'] } });
    expect(nextHandoffs(schedule, at('2026-01-06T08:00:00Z'), 3)).toEqual([]);
  });

  it('starts counting right after a handoff at `from`', () => {
    const schedule = scheduleSchema.parse({
      id: 'halves',
      rotation: { every: '12h', handoff: '09:00', people: ['ana', 'ben'], start: '2026-01-05' },
    });
    expect(nextHandoffs(schedule, at('2026-01-05T09:00:00Z'), 2)).toEqual([
      { at: at('2026-01-05T21:00:00Z'), personId: 'ben' },
      { at: at('2026-01-06T09:00:00Z'), personId: 'ana' },
    ]);
    expect(nextHandoffs(schedule, at('2026-01-05T09:00:00Z') - MINUTE, 1)).toEqual([
      { at: at('2026-01-05T09:00:00Z'), personId: 'ana' },
    ]);
  });
});
