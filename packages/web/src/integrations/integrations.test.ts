import { Writable } from 'node:stream';
import { createLogger, episodeKey, SLACK_ACTIONS, signEpisodeRef } from '@vigil/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestIncident, readPrefix, TEST_CONFIG, testWebApp } from '../testing.js';
import { pagerDutySignature } from './pagerduty-webhook.js';
import { slackSignature } from './slack-actions.js';

const MIN = 60_000;
/** The secret `testWebApp` signs with. */
const SECRET = 'test-secret-0123456789abcdef';
const SIGNING_SECRET = 'slack-signing-secret-0123456789';
const PD_SECRET = 'pagerduty-webhook-secret-0123456789';
const OG_SECRET = 'opsgenie-webhook-secret-0123456789';

const CONFIG = {
  ...TEST_CONFIG,
  people: [{ id: 'ana', name: 'Ana', email: 'ana@example.com', slack: { userId: 'U0ANA' } }],
  channels: [
    {
      id: 'slack-ops',
      slack: { botToken: 'xoxb-1234567890-abcdefghij', channelId: 'C0123ABCD', signingSecret: SIGNING_SECRET },
    },
    { id: 'pd', pagerduty: { routingKey: 'R0UT1NG', webhookSecret: PD_SECRET } },
    { id: 'og', opsgenie: { apiKey: 'genie-key-0123', webhookSecret: OG_SECRET } },
  ],
};

describe('inbound acknowledgements: Slack buttons, PagerDuty and Opsgenie webhooks', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  let logged: string[];
  beforeEach(async () => {
    t = await testWebApp(CONFIG);
    logged = [];
    t.ctx.log = createLogger({
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logged.push(chunk.toString());
          done();
        },
      }),
    });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** An open incident whose episode paged every channel of the config. */
  async function openIncident(): Promise<string> {
    const id = await openTestIncident(t.ctx);
    for (const channelId of ['slack-ops', 'pd', 'og']) {
      await t.ctx.redis.hset(t.ctx.keys.incidentPaged(id), `channel-${channelId}`, '{}');
    }
    return id;
  }

  const state = () => readPrefix(t.ctx);

  function slackPress(incidentId: string, options: { action?: string; user?: string; value?: string } = {}) {
    const payload = {
      type: 'block_actions',
      user: { id: options.user ?? 'U0ANA', username: 'ana.s', name: 'ana.s' },
      actions: [
        {
          action_id: options.action ?? SLACK_ACTIONS.acknowledge,
          value: options.value ?? signEpisodeRef(SECRET, { incidentId, episode: 1 }),
        },
      ],
    };
    return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  }

  function sendSlack(body: string, options: { at?: number; secret?: string; signature?: string } = {}) {
    const timestamp = String(Math.floor((options.at ?? t.clock.now()) / 1000));
    return t.app.inject({
      method: 'POST',
      url: '/integrations/slack/actions',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': options.signature ?? slackSignature(options.secret ?? SIGNING_SECRET, timestamp, body),
      },
      payload: body,
    });
  }

  describe('Slack', () => {
    it('acknowledges as the person mapped from the Slack user, once, and refuses the replay', async () => {
      const id = await openIncident();
      const body = slackPress(id);
      const response = await sendSlack(body);
      expect(response.statusCode, response.body).toBe(200);
      const incident = await t.ctx.incidents.get(id);
      expect(incident?.acknowledgedBy).toBe('Ana via slack');
      const before = await state();
      const replay = await sendSlack(body);
      expect(replay.statusCode).toBe(403);
      expect(await state()).toEqual(before);
      expect(logged.join('')).toContain('replayed');
    });

    it('names an unmapped Slack user by their Slack name, and resolves with Resolve', async () => {
      const id = await openIncident();
      await sendSlack(slackPress(id, { user: 'U0BO' }));
      expect((await t.ctx.incidents.get(id))?.acknowledgedBy).toBe('ana.s via slack');
      t.clock.advance(1_000);
      const response = await sendSlack(slackPress(id, { action: SLACK_ACTIONS.resolve, user: 'U0BO' }));
      expect(response.statusCode).toBe(200);
      const incident = await t.ctx.incidents.get(id);
      expect(incident?.status).toBe('resolved');
      expect(incident?.updates.at(-1)?.message).toBe('Resolved by ana.s via slack.');
    });

    it.each([
      ['forged', { secret: 'another-signing-secret-0123' }, 403, 'forged'],
      ['stale', { at: -6 * MIN }, 403, 'stale'],
      ['from the future', { at: 6 * MIN }, 403, 'stale'],
      ['unsigned', { signature: '' }, 403, 'unsigned'],
    ] as const)('refuses a %s request: nothing changes, the log says why', async (_, options, status, reason) => {
      const id = await openIncident();
      const before = await state();
      const at = 'at' in options ? { at: t.clock.now() + options.at } : {};
      const response = await sendSlack(slackPress(id), { ...options, ...at });
      expect(response.statusCode).toBe(status);
      expect(response.json().error.message).toContain(reason);
      expect(await state()).toEqual(before);
      expect(logged.join('')).toContain(`slack request refused: ${reason}`);
      expect(logged.join('')).not.toContain(SIGNING_SECRET);
    });

    it('refuses a genuine Slack request whose button reference Vigil did not sign', async () => {
      const id = await openIncident();
      const before = await state();
      const forgedRef = `${episodeKey({ incidentId: id, episode: 1 })}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
      const response = await sendSlack(slackPress(id, { value: forgedRef }));
      expect(response.statusCode).toBe(403);
      expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
      expect(await state()).toEqual(before);
    });
  });

  describe('PagerDuty', () => {
    function event(id: string, type: string, incidentKey: string) {
      return JSON.stringify({
        event: {
          id,
          event_type: type,
          resource_type: 'incident',
          occurred_at: '2026-11-25T12:00:00.000Z',
          agent: { id: 'P1', type: 'user_reference', summary: 'Bo Builder' },
          data: { id: 'Q1', type: 'incident', incident_key: incidentKey, status: 'acknowledged' },
        },
      });
    }
    const sendPd = (body: string, signature = `v1=deadbeef,${pagerDutySignature(PD_SECRET, body)}`) =>
      t.app.inject({
        method: 'POST',
        url: '/integrations/pagerduty/webhook',
        headers: { 'content-type': 'application/json', 'x-pagerduty-signature': signature },
        payload: body,
      });

    it('acknowledges on incident.acknowledged (one of several signatures matching), once, then resolves', async () => {
      const id = await openIncident();
      const key = episodeKey({ incidentId: id, episode: 1 });
      const body = event('01EVENT1', 'incident.acknowledged', key);
      const response = await sendPd(body);
      expect(response.json()).toEqual({ ok: true, outcome: 'acknowledged' });
      expect((await t.ctx.incidents.get(id))?.acknowledgedBy).toBe('Bo Builder via pagerduty');
      const before = await state();
      expect((await sendPd(body)).statusCode).toBe(403);
      expect(await state()).toEqual(before);
      const resolved = await sendPd(event('01EVENT2', 'incident.resolved', key));
      expect(resolved.json()).toEqual({ ok: true, outcome: 'resolved' });
    });

    it('refuses a forged or unsigned event, and ignores an alert Vigil did not raise', async () => {
      const id = await openIncident();
      const body = event('01EVENT3', 'incident.acknowledged', episodeKey({ incidentId: id, episode: 1 }));
      const before = await state();
      expect((await sendPd(body, pagerDutySignature('not-the-secret-0123456789', body))).statusCode).toBe(403);
      expect((await sendPd(body, '')).statusCode).toBe(403);
      expect(await state()).toEqual(before);
      expect(logged.join('')).toContain('pagerduty request refused: forged');
      const other = await sendPd(event('01EVENT4', 'incident.acknowledged', 'someone-elses-key'));
      expect(other.json()).toEqual({ ok: true, outcome: 'ignored' });
      expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
    });
  });

  describe('Opsgenie', () => {
    const webhook = (action: string, alias: string) =>
      JSON.stringify({
        action,
        alert: { alertId: 'a-1', alias, message: '[DOWN] api', username: 'cy@example.com' },
        source: { name: 'web', type: 'web' },
        integrationName: 'Vigil',
      });
    const sendOg = (body: string, secret = OG_SECRET) =>
      t.app.inject({
        method: 'POST',
        url: '/integrations/opsgenie/webhook',
        headers: { 'content-type': 'application/json', 'x-vigil-secret': secret },
        payload: body,
      });

    it('acknowledges on Acknowledge of an alert whose alias is the episode, once', async () => {
      const id = await openIncident();
      const body = webhook('Acknowledge', episodeKey({ incidentId: id, episode: 1 }));
      expect((await sendOg(body)).json()).toEqual({ ok: true, outcome: 'acknowledged' });
      expect((await t.ctx.incidents.get(id))?.acknowledgedBy).toBe('cy@example.com via opsgenie');
      const before = await state();
      expect((await sendOg(body)).statusCode).toBe(403);
      expect(await state()).toEqual(before);
    });

    it('refuses a wrong or missing secret; ignores an alert of an earlier episode', async () => {
      const id = await openIncident();
      const before = await state();
      expect(
        (await sendOg(webhook('Acknowledge', episodeKey({ incidentId: id, episode: 1 })), 'wrong')).statusCode,
      ).toBe(403);
      expect((await sendOg(webhook('Close', episodeKey({ incidentId: id, episode: 1 })), '')).statusCode).toBe(403);
      expect(await state()).toEqual(before);
      const old = await sendOg(webhook('Acknowledge', episodeKey({ incidentId: id, episode: 7 })));
      expect(old.json()).toMatchObject({ ok: true });
      expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
    });
  });

  it("opens to the provider's signature only: an operator's admin token is no way in", async () => {
    const id = await openIncident();
    const { auth } = await t.token({ owner: 'ops', scope: 'admin' });
    const before = await state();
    for (const url of [
      '/integrations/slack/actions',
      '/integrations/pagerduty/webhook',
      '/integrations/opsgenie/webhook',
    ]) {
      const headers = { ...auth, 'content-type': 'application/x-www-form-urlencoded' };
      const response = await t.app.inject({ method: 'POST', url, headers, payload: slackPress(id) });
      expect(response.statusCode, url).toBe(403);
    }
    expect(await state()).toEqual(before);
  });

  it('refuses a body over the limit with 413 in the API shape, before reading it', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/integrations/pagerduty/webhook',
      headers: { 'content-type': 'application/json' },
      payload: 'x'.repeat(300 * 1024),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses every request (403) when no channel takes that provider back', async () => {
    const bare = await testWebApp();
    try {
      for (const url of [
        '/integrations/slack/actions',
        '/integrations/pagerduty/webhook',
        '/integrations/opsgenie/webhook',
      ]) {
        const response = await bare.app.inject({ method: 'POST', url, payload: { action: 'Acknowledge' } });
        expect(response.statusCode, url).toBe(403);
      }
    } finally {
      await bare.cleanup();
    }
  });
});
