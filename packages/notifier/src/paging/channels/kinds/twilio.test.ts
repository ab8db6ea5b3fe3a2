import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordingContext } from '../answer-classes.js';
import { type ChannelTargets, PermanentDeliveryError, RetryLaterError } from '../channel.js';
import { LINKS, pageSequence, samplePage } from '../page-fixtures.js';
import { contactTarget } from '../registry.js';
import { type HttpSink, startHttpSink } from '../test-servers.js';
import { createTwilioChannel, SMS_TEXT_MAX } from './twilio.js';

const SID = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'tw-auth-token-s3cr3t-0123456789';
const BASIC = `Basic ${Buffer.from(`${SID}:${AUTH_TOKEN}`).toString('base64')}`;

describe('twilio channel', () => {
  let sink: HttpSink;
  let logged: string[];
  let target: ChannelTargets['twilio'];
  const ctx = () => recordingContext(logged, 'secret');
  const send = (page = samplePage(), to = target) => createTwilioChannel(ctx(), { timeoutMs: 500 }).send(page, to);
  const form = (index = -1) => Object.fromEntries(new URLSearchParams(sink.requests.at(index)?.body ?? ''));

  beforeEach(async () => {
    sink = await startHttpSink();
    sink.respond = () => ({ status: 201, body: JSON.stringify({ sid: 'SM123', status: 'queued' }) });
    logged = [];
    target = {
      accountSid: SID,
      authToken: AUTH_TOKEN,
      from: '+14155550100',
      to: ['+33612345678'],
      mode: 'sms',
      apiBase: sink.url,
    };
  });
  afterEach(() => sink.close());

  it('sends an SMS as Twilio documents: form POST to Messages.json, Basic auth, To, From and Body', async () => {
    await send();

    const [request] = sink.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(request?.headers.authorization).toBe(BASIC);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form()).toEqual({
      To: '+33612345678',
      From: '+14155550100',
      Body: `[DOWN] Public API: 2 of 3 checks down — connect_refused\nAck: ${LINKS.ack}`,
    });
    const lines = logged.join('');
    expect(lines).toContain('"channel":"twilio"');
    expect(lines).not.toContain(AUTH_TOKEN);
    expect(lines).not.toContain(BASIC.slice(6));
  });

  it('keeps an SMS short, the ack link whole', async () => {
    const long = samplePage({ componentName: 'x'.repeat(2000) });
    await send(long);
    const body = form().Body ?? '';
    expect(body.length).toBeLessThanOrEqual(SMS_TEXT_MAX);
    expect(body.endsWith(`Ack: ${LINKS.ack}`)).toBe(true);
  });

  it('calls in call mode: Calls.json with TwiML that reads the page and gathers one key for the ack route', async () => {
    await send(samplePage(), { ...target, mode: 'call' });

    expect(sink.requests[0]?.url).toBe(`/2010-04-01/Accounts/${SID}/Calls.json`);
    const { To, From, Twiml } = form();
    expect({ To, From }).toEqual({ To: '+33612345678', From: '+14155550100' });
    expect(Twiml).toContain('<Say>Vigil page. [DOWN] Public API: 2 of 3 checks down — connect_refused</Say>');
    expect(Twiml).toContain(
      '<Gather numDigits="1" timeout="10" method="POST" action="https://vigil.example.com/integrations/twilio/voice?token=tok-123">',
    );
    expect(Twiml).toContain('<Say>Press 1 to acknowledge.</Say></Gather>');
  });

  it('escapes what a check name could smuggle into the TwiML', async () => {
    await send(samplePage({ componentName: '</Say><Dial>+19005550100</Dial><Say>' }), { ...target, mode: 'call' });
    expect(form().Twiml).not.toContain('<Dial>');
    expect(form().Twiml).toContain('&lt;/Say&gt;&lt;Dial&gt;');
  });

  it('texts the acknowledge and resolve even in call mode: nobody is woken to hear it is over', async () => {
    const pages = pageSequence();
    await send(pages.acknowledge, { ...target, mode: 'call' });
    await send(pages.resolve, { ...target, mode: 'call' });
    expect(sink.requests.map((request) => request.url.split('/').at(-1))).toEqual(['Messages.json', 'Messages.json']);
    expect(form(0).Body).toBe('[ACK] Public API: 2 of 3 checks down — connect_refused (acknowledged by Ana)');
    expect(form(1).Body).toMatch(/^\[RESOLVED\] /);
  });

  it('sends one message per number of a channel', async () => {
    await send(samplePage(), { ...target, to: ['+33612345678', '+447700900123'] });
    expect(sink.requests.map((request) => new URLSearchParams(request.body).get('To'))).toEqual([
      '+33612345678',
      '+447700900123',
    ]);
  });

  it("gives up on a 400, with Twilio's error code in the message", async () => {
    sink.respond = () => ({
      status: 400,
      body: JSON.stringify({
        code: 21211,
        message: "The 'To' number +33612345678 is not a valid phone number.",
        more_info: 'https://www.twilio.com/docs/errors/21211',
        status: 400,
      }),
    });
    const error = await send().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toBe(
      `PermanentDeliveryError: twilio delivery to ${sink.url} failed: HTTP 400 (Twilio error 21211: The 'To' number +33612345678 is not a valid phone number.)`,
    );
  });

  it('gives up on a 401 (bad credentials) without echoing them', async () => {
    sink.respond = () => ({ status: 401, body: JSON.stringify({ code: 20003, message: 'Authenticate', status: 401 }) });
    const error = await send().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toContain('Twilio error 20003');
    expect(String(error)).not.toContain(AUTH_TOKEN);
  });

  it('retries a 429, naming its Retry-After', async () => {
    sink.respond = () => ({
      status: 429,
      headers: { 'retry-after': '7' },
      body: JSON.stringify({ code: 20429, message: 'Too Many Requests', status: 429 }),
    });
    const error = await send().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect((error as RetryLaterError).retryAfterMs).toBe(7_000);
    expect(String(error)).toContain('HTTP 429 (Twilio error 20429: Too Many Requests) (retry after 7s)');
  });

  it.each([500, 503])('retries a %i', async (status) => {
    sink.respond = () => ({ status, body: 'oops' });
    const error = await send().catch((err: unknown) => err);
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toBe(`Error: twilio delivery to ${sink.url} failed: HTTP ${status}`);
  });

  it('retries a request Twilio does not answer in time', async () => {
    sink.respond = () => 'hang';
    const error = await send().catch((err: unknown) => err);
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toBe(`Error: twilio delivery to ${sink.url} failed: no response within 500ms`);
  });

  it('refuses, for good, a channel destination without numbers', async () => {
    const error = await send(samplePage(), { ...target, to: undefined }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(sink.requests).toHaveLength(0);
  });

  it("pages a person's phone through the first twilio channel, and nobody's without one", () => {
    const ana = { id: 'ana', name: 'Ana', phone: '+33699999999' };
    const channels = [
      { id: 'mail', email: { to: ['ops@example.com'] } },
      { id: 'phones', twilio: { ...target, mode: 'call' as const } },
    ];
    expect(contactTarget(ana, 'twilio', channels)).toEqual({
      kind: 'twilio',
      ...target,
      mode: 'call',
      to: ['+33699999999'],
    });
    expect(contactTarget(ana, 'twilio', [])).toBeUndefined();
    expect(contactTarget({ id: 'bo', name: 'Bo', email: 'bo@example.com' }, 'twilio', channels)).toBeUndefined();
  });
});
