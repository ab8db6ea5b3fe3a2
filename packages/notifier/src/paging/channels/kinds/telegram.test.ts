import { readTelegramAckData } from '@vigil/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { recordingContext } from '../answer-classes.js';
import { type ChannelTargets, PermanentDeliveryError, RetryLaterError } from '../channel.js';
import { LINKS, pageSequence, sampleIncident, sampleMember, samplePage, XSS_CORPUS } from '../page-fixtures.js';
import { contactTarget } from '../registry.js';
import { type HttpSink, startHttpSink } from '../test-servers.js';
import { createTelegramChannel } from './telegram.js';

const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const SECRET = 'telegram-test-secret';

/** sendMessage as documented (https://core.telegram.org/bots/api#sendmessage), the fields Vigil uses. */
const sendMessageSchema = z.strictObject({
  chat_id: z.union([z.int(), z.string().min(1)]),
  text: z.string().min(1).max(4096),
  parse_mode: z.literal('HTML'),
  link_preview_options: z.strictObject({ is_disabled: z.boolean() }).optional(),
  reply_markup: z
    .strictObject({
      inline_keyboard: z.array(
        z.array(
          z.strictObject({
            text: z.string().min(1),
            callback_data: z.string().refine((data) => Buffer.byteLength(data) <= 64, 'at most 64 bytes'),
          }),
        ),
      ),
    })
    .optional(),
});

describe('telegram channel', () => {
  let sink: HttpSink;
  let logged: string[];
  let target: ChannelTargets['telegram'];
  const ctx = () => recordingContext(logged, SECRET);
  const send = (page = samplePage(), to = target) => createTelegramChannel(ctx(), { timeoutMs: 500 }).send(page, to);
  const message = (index = -1) => sendMessageSchema.parse(JSON.parse(sink.requests.at(index)?.body ?? 'null'));

  beforeEach(async () => {
    sink = await startHttpSink();
    sink.respond = () => ({ status: 200, body: JSON.stringify({ ok: true, result: { message_id: 7 } }) });
    logged = [];
    target = { botToken: BOT_TOKEN, chatId: '-1001234567890', apiBase: sink.url };
  });
  afterEach(() => sink.close());

  it('sends as the Bot API documents: JSON POST to /bot<token>/sendMessage, HTML, an Acknowledge button', async () => {
    await send();

    const [request] = sink.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(`/bot${BOT_TOKEN}/sendMessage`);
    expect(request?.headers['content-type']).toBe('application/json');
    const body = message();
    expect(body.chat_id).toBe('-1001234567890');
    expect(body.text.split('\n')[0]).toBe('<b>[DOWN] Public API: 2 of 3 checks down — connect_refused</b>');
    expect(body.text).toContain(`<a href="${LINKS.ack}">Acknowledge</a>`);
    const button = body.reply_markup?.inline_keyboard[0]?.[0];
    expect(button?.text).toBe('Acknowledge');
    expect(readTelegramAckData(SECRET, button?.callback_data ?? '')).toEqual({ incidentId: 'inc-1', episode: 1 });
    expect(readTelegramAckData('another-secret', button?.callback_data ?? '')).toBeUndefined();
    const lines = logged.join('');
    expect(lines).toContain('"channel":"telegram"');
    expect(lines).not.toContain(BOT_TOKEN);
  });

  it.each(XSS_CORPUS)('escapes HTML from a check name: %s', async (name) => {
    await send(samplePage({ incident: sampleIncident({ members: [sampleMember({ name })], title: name }) }));
    const { text } = message();
    const tags = new Set(text.match(/<\/?[a-z]+/g));
    expect([...tags].filter((tag) => !['<b', '</b', '<a', '</a', '<i', '</i'].includes(tag))).toEqual([]);
    expect(text).not.toContain('<script');
  });

  it('sends the acknowledge and the resolve without a button', async () => {
    const pages = pageSequence();
    await send(pages.acknowledge);
    await send(pages.resolve);
    expect(message(0).reply_markup).toBeUndefined();
    expect(message(0).text).toContain('(acknowledged by Ana)');
    expect(message(1).text).toMatch(/^<b>\[RESOLVED\] /);
  });

  it('leaves out the button when its data would pass 64 bytes', async () => {
    await send(samplePage({ incident: sampleIncident({ id: 'i'.repeat(60) }) }));
    expect(message().reply_markup).toBeUndefined();
  });

  it("gives up on a 400, with Telegram's description in the message and no token", async () => {
    sink.respond = () => ({
      status: 400,
      body: JSON.stringify({ ok: false, error_code: 400, description: 'Bad Request: chat not found' }),
    });
    const error = await send().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toBe(
      `PermanentDeliveryError: telegram delivery to ${sink.url} failed: HTTP 400 (Bad Request: chat not found)`,
    );
  });

  it('gives up on a 403: the bot was blocked by the user', async () => {
    sink.respond = () => ({
      status: 403,
      body: JSON.stringify({ ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' }),
    });
    expect(await send().catch((err: unknown) => err)).toBeInstanceOf(PermanentDeliveryError);
  });

  it('retries a 429, naming its Retry-After', async () => {
    sink.respond = () => ({
      status: 429,
      headers: { 'retry-after': '3' },
      body: JSON.stringify({
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 3',
        parameters: { retry_after: 3 },
      }),
    });
    const error = await send().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect((error as RetryLaterError).retryAfterMs).toBe(3_000);
    expect(String(error)).toContain('HTTP 429 (Too Many Requests: retry after 3) (retry after 3s)');
  });

  it("retries a 429 no sooner than the body's parameters.retry_after when there is no header", async () => {
    sink.respond = () => ({
      status: 429,
      body: JSON.stringify({
        ok: false,
        error_code: 429,
        description: 'Too Many Requests',
        parameters: { retry_after: 9 },
      }),
    });
    const error = await send().catch((err: unknown) => err);
    expect((error as RetryLaterError).retryAfterMs).toBe(9_000);
  });

  it.each([500, 502])('retries a %i', async (status) => {
    sink.respond = () => ({ status, body: '<html>bad gateway</html>' });
    const error = await send().catch((err: unknown) => err);
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toBe(`Error: telegram delivery to ${sink.url} failed: HTTP ${status}`);
  });

  it('retries when the Bot API does not answer in time', async () => {
    sink.respond = () => 'hang';
    const error = await send().catch((err: unknown) => err);
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toContain('no response within 500ms');
  });

  it("pages a person's telegram chat through the first telegram channel's bot", () => {
    const channels = [{ id: 'tg', telegram: target }];
    expect(contactTarget({ id: 'ana', name: 'Ana', telegram: '42' }, 'telegram', channels)).toEqual({
      kind: 'telegram',
      ...target,
      chatId: '42',
    });
    expect(contactTarget({ id: 'ana', name: 'Ana', telegram: '42' }, 'telegram', [])).toBeUndefined();
  });
});
