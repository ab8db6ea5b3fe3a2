import { describe, expect, it } from 'vitest';
import { checkDefaultsSchema, checkInputSchema, resolveCheck, resolvedCheckIssues } from '../check.js';
import { heartbeatDeadline, heartbeatSpecSchema, nextScheduledRun } from './heartbeat.js';
import { isProbed } from './registry.js';

const MIN = 60_000;

describe('the heartbeat kind', () => {
  it('is not probed: the scheduler gives it no slots', () => {
    const check = resolveCheck(checkInputSchema.parse({ id: 'c', heartbeat: {} }), checkDefaultsSchema.parse({}));
    expect(isProbed(check)).toBe(false);
    expect(
      isProbed(
        resolveCheck(
          checkInputSchema.parse({ id: 'c', tcp: { host: 'a.example', port: 1 } }),
          checkDefaultsSchema.parse({}),
        ),
      ),
    ).toBe(true);
  });

  it('refuses a bad schedule, a bad time zone, and a time zone without a schedule, naming the field', () => {
    const issues = (input: unknown) =>
      heartbeatSpecSchema.safeParse(input).error?.issues.map((issue) => issue.path.join('.'));
    expect(issues({ schedule: '0 3 * *' })).toEqual(['schedule']);
    expect(issues({ schedule: '61 3 * * *' })).toEqual(['schedule']);
    expect(issues({ schedule: '0 3 * * *', timezone: 'Mars/Olympus' })).toEqual(['timezone']);
    expect(issues({ timezone: 'Europe/Paris' })).toEqual(['timezone']);
    expect(issues({ grace: 'soon' })).toEqual(['grace']);
    expect(heartbeatSpecSchema.parse({})).toEqual({ grace: MIN });
  });

  it('may be due weekly, and a run may outlast the interval; a probed check may not', () => {
    const issues = (input: Record<string, unknown>) =>
      resolvedCheckIssues(resolveCheck(checkInputSchema.parse({ id: 'c', ...input }), checkDefaultsSchema.parse({})));
    expect(issues({ interval: '7d', timeout: '2h', heartbeat: {} })).toEqual([]);
    expect(issues({ timeout: '1h', heartbeat: { schedule: '0 3 * * *' } })).toEqual([]);
    expect(issues({ interval: '7d', timeout: '2h', tcp: { host: 'a.example', port: 1 } }).map((i) => i.path)).toEqual([
      ['interval'],
    ]);
  });

  it('is due an interval and the grace after the last success', () => {
    const spec = heartbeatSpecSchema.parse({ grace: '2m' });
    expect(heartbeatDeadline(spec, 5 * MIN, 1_000_000)).toBe(1_000_000 + 7 * MIN);
  });

  it('reads a cron schedule in its time zone, across a daylight-saving change', () => {
    const spec = heartbeatSpecSchema.parse({ grace: '2m', schedule: '0 3 * * *', timezone: 'Europe/Paris' });
    // 03:00 in Paris is 01:00 UTC in summer (CEST) and 02:00 UTC in winter (CET).
    const ranSummer = Date.parse('2026-10-24T01:00:30Z');
    expect(heartbeatDeadline(spec, 30_000, ranSummer)).toBe(Date.parse('2026-10-25T02:02:00Z'));
    expect(nextScheduledRun({ schedule: '0 3 * * *' }, ranSummer)).toBe(Date.parse('2026-10-24T03:00:00Z'));
  });

  it('does not fall due again a moment after a ping that came a little early', () => {
    const spec = heartbeatSpecSchema.parse({ grace: '2m', schedule: '0 3 * * *' });
    const early = Date.parse('2026-12-03T02:59:50Z');
    expect(heartbeatDeadline(spec, 30_000, early)).toBe(Date.parse('2026-12-04T03:02:00Z'));
  });
});
