import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleForm, TEST_CONFIG, testWebApp } from '../../testing.js';

type App = Awaited<ReturnType<typeof testWebApp>>;

/** The test fleet with a schedule (an override now, one tomorrow) and a policy paging a Slack channel. */
const ONCALL_CONFIG = {
  ...TEST_CONFIG,
  people: [
    { id: 'ana', name: 'Ana', email: 'ana@example.com' },
    { id: 'bo', name: 'Bo', email: 'bo@example.com', webhook: 'https://hooks.example.com/bo-private-hook' },
  ],
  schedules: [
    {
      id: 'primary',
      timezone: 'Europe/Paris',
      rotation: { every: '1w', handoff: 'mon 09:00', people: ['ana', 'bo'] },
      overrides: [
        { person: 'ana', start: '2026-11-25T11:00:00Z', end: '2026-11-25T13:00:00Z' },
        { person: 'ana', start: '2026-11-26T08:00:00Z', end: '2026-11-26T10:00:00Z' },
        { person: 'ana', start: '2026-11-20T08:00:00Z', end: '2026-11-20T10:00:00Z' },
      ],
    },
  ],
  channels: [{ id: 'slack-ops', slack: { webhookUrl: 'https://hooks.slack.com/services/T0/B0/slack-private-path' } }],
  escalations: [
    {
      id: 'default',
      levels: [
        { notify: ['schedule:primary'], after: '0s' },
        { notify: ['person:bo', 'channel:slack-ops'], after: '10m' },
      ],
      repeat: 2,
    },
  ],
};

describe('the console on-call page', () => {
  let t: App;
  beforeEach(async () => {
    t = await testWebApp(ONCALL_CONFIG);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('shows a read session who is on call now and next, the overrides and the policies, and no channel secret', async () => {
    const { token } = await t.token({ owner: 'team-a', scope: 'read' });
    const signIn = await t.app.inject({ method: 'POST', url: '/console/sign-in', ...consoleForm({ token }) });
    const cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? '';
    const page = await t.app.inject({ method: 'GET', url: '/console/oncall', headers: { cookie } });
    expect(page.statusCode, page.body).toBe(200);
    const row = /<tr id="schedule-primary">[\s\S]*?<\/tr>/.exec(page.body)?.[0] ?? '';
    // Ana holds the override until 13:00; then Bo, whose week it is, takes over.
    expect(row).toContain('<td>Ana</td><td>2026-11-25T13:00:00Z</td><td>Bo from 2026-11-25T13:00:00Z</td>');
    expect(page.body).toContain('<td>2026-11-25T11:00:00Z</td><td>2026-11-25T13:00:00Z</td><td>now</td>');
    expect(page.body).toContain('<td>2026-11-26T08:00:00Z</td><td>2026-11-26T10:00:00Z</td><td>upcoming</td>');
    expect(page.body).not.toContain('2026-11-20T08:00:00Z');
    expect(page.body).toContain('Level 1, after 0s: schedule primary');
    expect(page.body).toContain('Level 2, after 10m: Bo, slack-ops (slack)');
    expect(page.body).toContain('repeats 2×');
    expect(page.body).not.toContain('slack-private-path');
    expect(page.body).not.toContain('hooks.slack.com');
    expect(page.body).not.toContain('bo-private-hook');
    expect(page.body).not.toMatch(/<script>|<style>| style="/);
    expect(page.body).toContain('href="/console/oncall"');
    expect(page.body).not.toContain('href="/console/tokens"');
  });

  it('sends a visitor without a session to sign in', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/console/oncall' });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/console/sign-in');
  });
});
