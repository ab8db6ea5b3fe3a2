import { createAckToken, twilioSignature } from '@vigil/core';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openTestIncident, TEST_CONFIG, testWebApp } from '../../testing.js';

const MIN = 60_000;
/** The secret `testWebApp` signs with. */
const SECRET = 'test-secret-0123456789abcdef';
const AUTH_TOKEN = 'tw-auth-token-s3cr3t-0123456789';
const PUBLIC_URL = 'https://vigil.example.com';

const CONFIG = {
  ...TEST_CONFIG,
  notifier: { publicUrl: PUBLIC_URL },
  channels: [
    {
      id: 'phones',
      twilio: {
        accountSid: `AC${'0123456789abcdef'.repeat(2)}`,
        authToken: AUTH_TOKEN,
        from: '+14155550100',
        mode: 'call',
      },
    },
  ],
};

describe('/integrations/twilio/voice, the key pressed on a page call', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  beforeEach(async () => {
    t = await testWebApp(CONFIG);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const openIncident = (group?: string): Promise<string> => openTestIncident(t.ctx, { group });

  const token = (incidentId: string, ttlMs = 60 * MIN) =>
    createAckToken(SECRET, { incidentId, episode: 1, by: 'Ana', ttlMs, now: t.clock.now() });

  /** A Gather callback as Twilio sends it: form fields, signed over the full URL and the sorted fields. */
  function press(ackToken: string, digits: string, options: { authToken?: string; signature?: string } = {}) {
    const path = `/integrations/twilio/voice?token=${encodeURIComponent(ackToken)}`;
    const form = {
      AccountSid: CONFIG.channels[0]?.twilio.accountSid ?? '',
      CallSid: 'CA0123456789abcdef0123456789abcdef',
      CallStatus: 'in-progress',
      Digits: digits,
      From: '+14155550100',
      To: '+33612345678',
      FinishedOnKey: '',
    };
    const signature =
      options.signature ?? twilioSignature(options.authToken ?? AUTH_TOKEN, `${PUBLIC_URL}${path}`, form);
    return t.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      payload: new URLSearchParams(form).toString(),
    });
  }

  it('acknowledges as the person called when they press 1, and says so in TwiML', async () => {
    const id = await openIncident();
    const response = await press(token(id), '1');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(response.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Acknowledged. Escalation has stopped. Thank you.</Say><Hangup/></Response>',
    );
    expect(await t.ctx.incidents.get(id)).toMatchObject({
      acknowledgedBy: 'Ana via twilio',
      acknowledgedAt: t.clock.now(),
    });
  });

  it('does nothing on another key', async () => {
    const id = await openIncident();
    const response = await press(token(id), '2');
    expect(response.body).toContain('No acknowledgement was made');
    expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
  });

  it('refuses a forged signature with 403 and a log line saying why, changing nothing', async () => {
    const warn = vi.spyOn(t.ctx.log, 'warn');
    const id = await openIncident();
    for (const forged of [{ authToken: 'not-the-auth-token-0123' }, { signature: '' }, { signature: 'AAAA' }]) {
      const response = await press(token(id), '1', forged);
      expect(response.statusCode, response.body).toBe(403);
      expect(response.json().error.issues[0].path).toBe('x-twilio-signature');
    }
    expect(warn.mock.calls.map(([fields]) => (fields as { reason: string }).reason)).toEqual([
      'the signature does not match any twilio account',
      'the signature header is missing',
      'the signature does not match any twilio account',
    ]);
    expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
  });

  it('refuses a JSON body, even one with a signature header, with 403 (never a 500)', async () => {
    const id = await openIncident();
    const path = `/integrations/twilio/voice?token=${encodeURIComponent(token(id))}`;
    for (const payload of [{ Digits: 1 }, { Digits: ['1', { x: 1 }] }, [1, 2]]) {
      const response = await t.app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/json', 'x-twilio-signature': 'AAAA' },
        payload,
      });
      expect(response.statusCode, response.body).toBe(403);
    }
    expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
  });

  it('answers any signed form without a 5xx', async () => {
    const id = await openIncident();
    const path = `/integrations/twilio/voice?token=${encodeURIComponent(token(id))}`;
    const fields = fc.dictionary(
      fc.oneof(fc.constantFrom('Digits', '__proto__', 'constructor', 'CallSid', ''), fc.string({ maxLength: 20 })),
      fc.oneof(fc.constantFrom('1', '2', '', '11', '*'), fc.string({ maxLength: 50 })),
    );
    await fc.assert(
      fc.asyncProperty(fields, async (form) => {
        const body = new URLSearchParams(Object.entries(form)).toString();
        const signed = Object.fromEntries(new URLSearchParams(body));
        const response = await t.app.inject({
          method: 'POST',
          url: path,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-twilio-signature': twilioSignature(AUTH_TOKEN, `${PUBLIC_URL}${path}`, signed),
          },
          payload: body,
        });
        expect(response.statusCode, response.body).toBe(200);
        expect(response.body).toMatch(
          /^<\?xml version="1.0" encoding="UTF-8"\?><Response><Say>[^<]*<\/Say><Hangup\/><\/Response>$/,
        );
      }),
      { numRuns: 150 },
    );
  });

  it('refuses a request whose fields were changed after Twilio signed them', async () => {
    const id = await openIncident();
    const signature = twilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/integrations/twilio/voice?token=${token(id)}`, {
      Digits: '2',
    });
    const response = await press(token(id), '1', { signature });
    expect(response.statusCode).toBe(403);
    expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
  });

  it('a replayed keypress changes nothing: its token is single use', async () => {
    const id = await openIncident();
    const ackToken = token(id);
    await press(ackToken, '1');
    const before = await t.ctx.incidents.get(id);
    t.clock.advance(MIN);
    const replay = await press(ackToken, '1');
    expect(replay.statusCode).toBe(200);
    expect(replay.body).toContain('already been used');
    expect(await t.ctx.incidents.get(id)).toEqual(before);
  });

  it('a stale (expired) token changes nothing', async () => {
    const id = await openIncident();
    const ackToken = token(id, MIN);
    t.clock.advance(2 * MIN);
    const response = await press(ackToken, '1');
    expect(response.body).toContain('expired');
    expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
  });

  it('first acknowledgement wins; a resolved incident is not acknowledged', async () => {
    const id = await openIncident();
    await t.ctx.incidents.acknowledge(id, 'Bo', t.clock.now());
    const second = await press(token(id), '1');
    expect(second.body).toContain('Already acknowledged by Bo');
    expect((await t.ctx.incidents.get(id))?.acknowledgedBy).toBe('Bo');

    const other = await openIncident('component:lb');
    await t.ctx.incidents.resolve(other, 'ops', t.clock.now());
    const late = await press(token(other), '1');
    expect(late.statusCode).toBe(200);
    expect((await t.ctx.incidents.get(other))?.acknowledgedAt).toBeUndefined();
  });
});
