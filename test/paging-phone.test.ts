import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout } from 'node:timers/promises';
import { parseConfig, twilioSignature, type VigilConfig } from '@vigil/core';
import { eventually } from '@vigil/core/testing';
import type { Notifier } from '@vigil/notifier';
import { buildApp, createWebContext } from '@vigil/web';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from './support/fleet.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';

const SECRET = 'test-secret-0123456789';
const SID = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'tw-auth-token-s3cr3t-0123456789';
const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const WEBHOOK_SECRET = 'tg-webhook-secret-0123456789';
/** The base of the links the fleet's notifier puts in pages (and so of the Gather action Twilio signs). */
const PUBLIC_URL = 'http://127.0.0.1:8080';

interface ProviderRequest {
  path: string;
  body: string;
}

/** Twilio's or Telegram's API on loopback: records every request, answers as the provider does on success. */
async function startProvider(answer: string, status: number) {
  const requests: ProviderRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString() });
      res.writeHead(status, { 'content-type': 'application/json' }).end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
type Provider = Awaited<ReturnType<typeof startProvider>>;

function configYaml(targetUrl: string, twilio: Provider, telegram: Provider, contact: 'phone' | 'telegram'): string {
  return `
vantages: [alpha, beta]
components: [{ id: api, name: Public API }]
checks:
  - { id: api-health, name: API health, component: api, interval: 1s, timeout: 800ms, allowPrivateTarget: true, http: { url: "${targetUrl}" } }
people:
  - { id: ana, name: Ana, phone: "+33612345678", telegram: 4242, contact: [${contact}] }
  - { id: bo, name: Bo, phone: "+447700900123", telegram: 4343, contact: [${contact}] }
  - { id: cy, name: Cy, phone: "+14155550111" }
escalations:
  - id: default
    levels:
      - { notify: [person:ana, channel:${contact === 'phone' ? 'phones' : 'tg'}], after: 0s }
      - { notify: [person:bo], after: 5s }
    repeat: 1
    repeatAfter: 5s
  - id: fleet
    levels: [{ notify: [person:cy] }]
channels:
  - id: phones
    twilio: { accountSid: ${SID}, authToken: ${AUTH_TOKEN}, from: "+14155550100", to: ["+14155550199"], mode: call, apiBase: "${twilio.url}" }
  - id: tg
    telegram: { botToken: "${BOT_TOKEN}", chatId: -100123, webhookSecret: ${WEBHOOK_SECRET}, apiBase: "${telegram.url}" }
notifier:
  publicUrl: ${PUBLIC_URL}
  groupingWindow: 1s
  fleetEscalation: fleet
  roundGrace: 1s
  vantages: { window: 10s, minChecks: 3, silentAfter: 30s }
  delivery: { attempts: 20, backoff: 500ms }
`;
}

/** Who a Twilio request went to and what it was: `call`, or the SMS text's tag (`[RESOLVED]`). */
function twilioPages(twilio: Provider): { to: string; what: string }[] {
  return twilio.requests.map((request) => {
    const form = new URLSearchParams(request.body);
    const what = request.path.endsWith('/Calls.json') ? 'call' : ((form.get('Body') ?? '').split(' ')[0] ?? '');
    return { to: form.get('To') ?? '', what };
  });
}

/** Which chat each sendMessage went to, and its tag (`[DOWN]`, `[ACK]`, `[RESOLVED]`). */
function telegramPages(telegram: Provider): { to: string; what: string }[] {
  return telegram.requests
    .filter((request) => request.path.endsWith('/sendMessage'))
    .map((request) => {
      const body = JSON.parse(request.body) as { chat_id: string; text: string };
      return { to: String(body.chat_id), what: /^<b>(\[[A-Z]+\])/.exec(body.text)?.[1] ?? body.text };
    });
}

describe('paging end to end by phone and Telegram: probers → notifier → provider → web → ack', () => {
  let fleet: Fleet;
  let target: HttpTarget;
  let twilio: Provider;
  let telegram: Provider;
  let web: ReturnType<typeof buildApp>;
  let webUrl: string;
  beforeEach(async () => {
    fleet = await startFleet(['alpha', 'beta']);
    target = await startHttpTarget();
    twilio = await startProvider(JSON.stringify({ sid: 'SM0123', status: 'queued' }), 201);
    telegram = await startProvider(JSON.stringify({ ok: true, result: { message_id: 7 } }), 200);
  });
  afterEach(async () => {
    await web?.close();
    await fleet.close();
    await target.close();
    await twilio.close();
    await telegram.close();
  });

  /** The fleet on `config`, and the web role on a real loopback port, both on the fleet's Redis. */
  async function start(config: VigilConfig): Promise<Notifier> {
    for (const check of config.checks) await fleet.registry.put(check);
    const notifier = await fleet.notifier(config, { secret: SECRET });
    for (const vantage of config.vantages) await fleet.prober(vantage);
    await fleet.scheduler();
    web = buildApp(createWebContext(fleet, { config, secret: SECRET }));
    const address = await web.listen({ port: 0, host: '127.0.0.1' });
    webUrl = address;
    await fleet.historyUntil('api-health', (h) => h.filter((r) => r.ok).length >= 4);
    return notifier;
  }

  /** Brings the target back and waits for the incident to resolve. */
  async function recover(port: number, incidentId: string): Promise<HttpTarget> {
    const back = await startHttpTarget(port);
    await eventually(
      async () => (await fleet.incidents.get(incidentId))?.status === 'resolved',
      15_000,
      'the incident resolved',
    );
    return back;
  }

  /**
   * Brings the target back, waits for the incident to resolve and its resolve pages to arrive, then a
   * second for any repeat: each of `to` got exactly one.
   */
  async function expectResolvedOnce(
    port: number,
    incidentId: string,
    resolves: { pages: () => { to: string; what: string }[]; to: string[]; label: string },
  ): Promise<void> {
    const { pages, to, label } = resolves;
    const back = await recover(port, incidentId);
    try {
      await eventually(() => pages().filter((page) => page.what === '[RESOLVED]').length >= to.length, 10_000, label);
      await setTimeout(1_000);
      const resolves = pages().filter((page) => page.what === '[RESOLVED]');
      expect(resolves.map((page) => page.to).sort()).toEqual(to);
    } finally {
      await back.close();
    }
  }

  it('a call pages; pressing 1 acknowledges as the person called, stops escalation; the resolve is texted once', async () => {
    const config = parseConfig(configYaml(target.url, twilio, telegram, 'phone'));
    await start(config);
    const port = target.port;
    await target.close();

    // Ana's phone rings (call mode) and the channel's number too: one call each.
    await eventually(() => twilioPages(twilio).length >= 2, 15_000, 'the calls');
    expect(twilioPages(twilio).sort((a, b) => a.to.localeCompare(b.to))).toEqual([
      { to: '+14155550199', what: 'call' },
      { to: '+33612345678', what: 'call' },
    ]);
    const call = twilio.requests.find((request) => new URLSearchParams(request.body).get('To') === '+33612345678');
    expect(call?.path).toBe(`/2010-04-01/Accounts/${SID}/Calls.json`);
    const twiml = new URLSearchParams(call?.body).get('Twiml') ?? '';
    const action = /action="([^"]+)"/.exec(twiml)?.[1]?.replace(/&amp;/g, '&') ?? '';
    expect(action.startsWith(`${PUBLIC_URL}/integrations/twilio/voice?token=`)).toBe(true);

    // Ana presses 1: Twilio posts the Gather result to the action URL, signed with the auth token.
    const form = { AccountSid: SID, CallSid: 'CA0123', Digits: '1', From: '+14155550100', To: '+33612345678' };
    const response = await fetch(`${webUrl}${action.slice(PUBLIC_URL.length)}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(AUTH_TOKEN, action, form),
      },
      body: new URLSearchParams(form).toString(),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Acknowledged. Escalation has stopped.');
    const [incident] = await fleet.incidents.listOpen();
    expect(incident?.acknowledgedBy).toBe('Ana via twilio');

    // Unacknowledged, Bo would be called at 5 s; a fixed wait is the assertion.
    await eventually(() => twilioPages(twilio).some((page) => page.what === '[ACK]'), 10_000, 'the ack text');
    await setTimeout(6_000);
    expect(twilioPages(twilio).filter((page) => page.to === '+447700900123')).toEqual([]);
    // The channel hears of the ack by text; Ana (who acked) does not.
    expect(twilioPages(twilio).filter((page) => page.what === '[ACK]')).toEqual([
      { to: '+14155550199', what: '[ACK]' },
    ]);

    await expectResolvedOnce(port, incident?.id ?? '', {
      pages: () => twilioPages(twilio),
      to: ['+14155550199', '+33612345678'],
      label: 'resolve texts',
    });
    expect(twilioPages(twilio).filter((page) => page.what === 'call')).toHaveLength(2);
  }, 60_000);

  it('a Telegram page has a button; pressing it acknowledges, stops escalation; one resolve per chat', async () => {
    const config = parseConfig(configYaml(target.url, twilio, telegram, 'telegram'));
    await start(config);
    const port = target.port;
    await target.close();

    await eventually(() => telegramPages(telegram).length >= 2, 15_000, 'the messages');
    expect(telegramPages(telegram).sort((a, b) => a.to.localeCompare(b.to))).toEqual([
      { to: '-100123', what: '[DOWN]' },
      { to: '4242', what: '[DOWN]' },
    ]);
    const page = telegram.requests.find((request) => request.path === `/bot${BOT_TOKEN}/sendMessage`);
    const sent = JSON.parse(page?.body ?? '{}') as {
      text: string;
      reply_markup: { inline_keyboard: { callback_data: string }[][] };
    };
    const data = sent.reply_markup.inline_keyboard[0]?.[0]?.callback_data ?? '';

    // Ana presses Acknowledge in her chat with the bot: Telegram posts the callback query to the webhook.
    const update = {
      update_id: 1,
      callback_query: {
        id: 'cbq-1',
        from: { id: 4242, is_bot: false, first_name: 'Ana' },
        message: { message_id: 7, date: 1, chat: { id: 4242, type: 'private' }, text: 'page' },
        chat_instance: '1',
        data,
      },
    };
    const press = () =>
      fetch(`${webUrl}/integrations/telegram/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
        body: JSON.stringify(update),
      });
    expect((await press()).status).toBe(200);
    const [incident] = await fleet.incidents.listOpen();
    expect(incident?.acknowledgedBy).toBe('Ana via telegram');
    const methods = telegram.requests.map((request) => request.path.split('/').at(-1));
    expect(methods).toContain('answerCallbackQuery');
    expect(methods).toContain('editMessageText');
    // Telegram redelivers the same update: nothing more happens (no second answer to the press).
    expect((await press()).status).toBe(200);

    await eventually(() => telegramPages(telegram).some((p) => p.what === '[ACK]'), 10_000, 'the ack message');
    await setTimeout(6_000);
    expect(telegramPages(telegram).filter((p) => p.to === '4343')).toEqual([]);
    expect(telegramPages(telegram).filter((p) => p.what === '[ACK]')).toEqual([{ to: '-100123', what: '[ACK]' }]);
    expect(telegram.requests.filter((r) => !r.path.endsWith('/sendMessage'))).toHaveLength(2);

    await expectResolvedOnce(port, incident?.id ?? '', {
      pages: () => telegramPages(telegram),
      to: ['-100123', '4242'],
      label: 'resolve messages',
    });
    expect(telegramPages(telegram).filter((p) => p.what === '[DOWN]')).toHaveLength(2);
  }, 60_000);

  it('texts in sms mode; a notifier restarted after the page texts nobody twice; the ack link stops escalation', async () => {
    const config = parseConfig(configYaml(target.url, twilio, telegram, 'phone').replace('mode: call', 'mode: sms'));
    const first = await start(config);
    const port = target.port;
    await target.close();

    await eventually(() => twilioPages(twilio).length >= 2, 15_000, 'the texts');
    // The notifier goes away and another takes over, on the same Redis.
    await first.close();
    await fleet.notifier(config, { secret: SECRET });
    const sms = twilio.requests.find((request) => new URLSearchParams(request.body).get('To') === '+33612345678');
    const body = new URLSearchParams(sms?.body).get('Body') ?? '';
    expect(body).toMatch(/^\[DOWN\] .*\nAck: http:\/\/127\.0\.0\.1:8080\/ack\/[A-Za-z0-9_.-]+$/);

    // Ana follows the link in her text.
    const link = body.split('Ack: ')[1] ?? '';
    const response = await fetch(`${webUrl}${link.slice(PUBLIC_URL.length)}`);
    expect(response.status).toBe(200);
    const [incident] = await fleet.incidents.listOpen();
    expect(incident?.acknowledgedBy).toBe('Ana');

    await setTimeout(6_000);
    const triggers = twilioPages(twilio).filter((page) => page.what === '[DOWN]');
    expect(triggers.map((page) => page.to).sort()).toEqual(['+14155550199', '+33612345678']);
    expect(twilioPages(twilio).filter((page) => page.to === '+447700900123')).toEqual([]);

    await expectResolvedOnce(port, incident?.id ?? '', {
      pages: () => twilioPages(twilio),
      to: ['+14155550199', '+33612345678'],
      label: 'resolve texts',
    });
  }, 60_000);
});
