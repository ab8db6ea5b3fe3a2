import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { telegramAckData } from '@vigil/core';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openTestIncident, TEST_CONFIG, testWebApp } from '../../testing.js';

/** The secret `testWebApp` signs with (and so signs the buttons' data with). */
const SECRET = 'test-secret-0123456789abcdef';
const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const WEBHOOK_SECRET = 'tg-webhook-secret-0123456789';

interface BotRequest {
  method: string;
  url: string;
  body: Record<string, unknown>;
}

/** The Bot API on loopback: records each call, answers `{ ok: true }`. */
async function startBotApi(): Promise<{ url: string; calls: BotRequest[]; close(): Promise<void> }> {
  const calls: BotRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      calls.push({ method: req.method ?? '', url: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"result":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('/integrations/telegram/webhook, the Acknowledge button on a page', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  let bot: Awaited<ReturnType<typeof startBotApi>>;
  beforeEach(async () => {
    bot = await startBotApi();
    t = await testWebApp({
      ...TEST_CONFIG,
      people: [...TEST_CONFIG.people, { id: 'bo', name: 'Bo', telegram: 4242 }],
      channels: [
        {
          id: 'tg',
          telegram: { botToken: BOT_TOKEN, chatId: -100123, webhookSecret: WEBHOOK_SECRET, apiBase: bot.url },
        },
      ],
    });
  });
  afterEach(async () => {
    await t.cleanup();
    await bot.close();
  });

  const openIncident = (group?: string): Promise<string> => openTestIncident(t.ctx, { group });

  /** A button press as Telegram delivers it: an Update with a callback_query. */
  function press(data: string, options: { id?: string; from?: Record<string, unknown>; secret?: string | null } = {}) {
    const update = {
      update_id: 10_000,
      callback_query: {
        id: options.id ?? '4382bfdwdsb323b2d9',
        from: options.from ?? { id: 4242, is_bot: false, first_name: 'Bo', language_code: 'en' },
        message: {
          message_id: 77,
          date: 1_700_000_000,
          chat: { id: -100123, type: 'supergroup', title: 'ops' },
          text: '[DOWN] Public API: 1 of 1 checks down <b>',
        },
        chat_instance: '-123456',
        data,
      },
    };
    const secret = options.secret === undefined ? WEBHOOK_SECRET : options.secret;
    return t.app.inject({
      method: 'POST',
      url: '/integrations/telegram/webhook',
      headers: secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret },
      payload: update,
    });
  }
  const button = (id: string, episode = 1) => telegramAckData(SECRET, { id, episode }) ?? '';

  it('acknowledges as the person whose telegram id pressed, answers the press and marks the message', async () => {
    const id = await openIncident();
    const response = await press(button(id));
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ ok: true });
    expect(await t.ctx.incidents.get(id)).toMatchObject({
      acknowledgedBy: 'Bo via telegram',
      acknowledgedAt: t.clock.now(),
    });

    expect(bot.calls.map((call) => [call.method, call.url])).toEqual([
      ['POST', `/bot${BOT_TOKEN}/answerCallbackQuery`],
      ['POST', `/bot${BOT_TOKEN}/editMessageText`],
    ]);
    expect(bot.calls[0]?.body).toEqual({
      callback_query_id: '4382bfdwdsb323b2d9',
      text: 'Acknowledged by Bo via telegram. Escalation has stopped.',
    });
    expect(bot.calls[1]?.body).toEqual({
      chat_id: -100123,
      message_id: 77,
      text: '[DOWN] Public API: 1 of 1 checks down &lt;b&gt;\n\n<b>Acknowledged by Bo via telegram</b>',
      parse_mode: 'HTML',
      reply_markup: { inline_keyboard: [] },
    });
  });

  it("acknowledges as the Telegram user's name when no person has their id", async () => {
    const id = await openIncident();
    await press(button(id), { from: { id: 999, is_bot: false, first_name: 'Cy', last_name: 'Doe' } });
    expect((await t.ctx.incidents.get(id))?.acknowledgedBy).toBe('Cy Doe via telegram');
  });

  it('refuses a missing or wrong secret token with 403 and a log line, changing nothing', async () => {
    const warn = vi.spyOn(t.ctx.log, 'warn');
    const id = await openIncident();
    for (const secret of [null, 'tg-webhook-secret-0123456780', '']) {
      const response = await press(button(id), { secret });
      expect(response.statusCode, response.body).toBe(403);
      expect(response.json().error.issues[0].path).toBe('x-telegram-bot-api-secret-token');
    }
    expect(warn.mock.calls.map(([fields]) => (fields as { reason: string }).reason)).toEqual([
      'the secret token header is missing',
      'the secret token does not match',
      'the secret token does not match',
    ]);
    expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
    expect(bot.calls).toEqual([]);
  });

  it('a replayed callback (same callback query id) changes nothing, and is logged', async () => {
    const info = vi.spyOn(t.ctx.log, 'info');
    const first = await openIncident();
    await press(button(first));
    const second = await openIncident('component:lb');
    const replay = await press(button(second));
    expect(replay.statusCode).toBe(200);
    expect((await t.ctx.incidents.get(second))?.acknowledgedAt).toBeUndefined();
    expect(bot.calls).toHaveLength(2);
    expect(info.mock.calls.map(([, message]) => message)).toContain('telegram callback replayed: ignored');
  });

  it('refuses forged button data (a modified client) and a button of an earlier episode', async () => {
    const id = await openIncident();
    const forged = `a:${id}:1:AAAAAAAAAAAAAAAA`;
    await press(forged, { id: 'q1' });
    await press(button(id, 2), { id: 'q2' });
    expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
    expect(bot.calls.map((call) => call.body.text)).toEqual([
      'This button is not one of Vigil’s.',
      'This page is for an earlier episode; use the latest page.',
    ]);
  });

  it('first acknowledgement wins; the message still shows who acknowledged', async () => {
    const id = await openIncident();
    await t.ctx.incidents.acknowledge(id, 'Ana', t.clock.now());
    await press(button(id));
    expect((await t.ctx.incidents.get(id))?.acknowledgedBy).toBe('Ana');
    expect(bot.calls[0]?.body.text).toBe('Already acknowledged by Ana.');
    expect(bot.calls[1]?.body.text).toContain('<b>Acknowledged by Ana</b>');
  });

  it('takes other updates (a plain message) with 200 and does nothing', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/integrations/telegram/webhook',
      headers: { 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
      payload: { update_id: 1, message: { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, text: '/start' } },
    });
    expect(response.statusCode).toBe(200);
    expect(bot.calls).toEqual([]);
  });

  it('answers any authentic body without a 5xx: an Update is acted on, anything else refused naming a field', async () => {
    const id = await openIncident();
    const hostile = fc.oneof(
      fc.jsonValue(),
      fc.record({ update_id: fc.integer(), callback_query: fc.jsonValue() }),
      fc.record({
        update_id: fc.integer(),
        callback_query: fc.record({
          id: fc.string({ maxLength: 120 }),
          from: fc.record({ id: fc.integer(), first_name: fc.string() }),
          data: fc.oneof(fc.string({ maxLength: 80 }), fc.constant(button(id)), fc.constant(`a:${id}:1:`)),
        }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (payload) => {
        const response = await t.app.inject({
          method: 'POST',
          url: '/integrations/telegram/webhook',
          headers: { 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET, 'content-type': 'application/json' },
          payload: JSON.stringify(payload),
        });
        expect(response.statusCode, response.body).toBeLessThan(500);
        if (response.statusCode >= 400) expect(response.json().error.issues.length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
  });

  it('refuses a body that is not an Update with 400 naming the field', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/integrations/telegram/webhook',
      headers: { 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
      payload: { update_id: 'x' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.issues[0].path).toBe('update_id');
  });
});
