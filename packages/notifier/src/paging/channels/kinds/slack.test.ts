import { createLogger } from '@vigil/core';
import { T0 } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ChannelContext, PermanentDeliveryError } from '../channel.js';
import { LINKS, largeIncident, pageSequence, sampleIncident, sampleMember, samplePage } from '../page-fixtures.js';
import { type HttpSink, startHttpSink } from '../test-servers.js';
import { createSlackChannel } from './slack.js';

/** An incoming webhook's path; the loopback sink stands in for https://hooks.slack.com. */
const WEBHOOK_PATH = '/services/T000/B000/s3cr3tXXXX';

/** The documented Block Kit shapes Vigil uses (https://api.slack.com/reference/block-kit), with Slack's limits. */
const textObject = (max: number) =>
  z.strictObject({
    type: z.enum(['mrkdwn', 'plain_text']),
    text: z.string().min(1).max(max),
    emoji: z.boolean().optional(),
    verbatim: z.boolean().optional(),
  });
const sectionBlock = z
  .strictObject({
    type: z.literal('section'),
    block_id: z.string().max(255).optional(),
    text: textObject(3000).optional(),
    fields: z.array(textObject(2000)).min(1).max(10).optional(),
  })
  .refine((block) => block.text !== undefined || block.fields !== undefined, 'a section needs text or fields');
const contextBlock = z.strictObject({
  type: z.literal('context'),
  block_id: z.string().max(255).optional(),
  elements: z.array(textObject(3000)).min(1).max(10),
});
const headerBlock = z.strictObject({
  type: z.literal('header'),
  text: z.strictObject({ type: z.literal('plain_text'), text: z.string().max(150), emoji: z.boolean().optional() }),
});
const slackMessageSchema = z.strictObject({
  text: z.string().min(1),
  blocks: z
    .array(z.union([sectionBlock, contextBlock, headerBlock]))
    .min(1)
    .max(50),
});
type SlackBody = z.output<typeof slackMessageSchema>;

/** Every mrkdwn string of a message, fallback text included. */
function mrkdwnTexts(message: SlackBody): string[] {
  const texts = [message.text];
  for (const block of message.blocks) {
    if (block.type === 'section')
      texts.push(...[block.text, ...(block.fields ?? [])].flatMap((t) => (t ? [t.text] : [])));
    if (block.type === 'context') texts.push(...block.elements.map((element) => element.text));
  }
  return texts;
}

describe('slack channel', () => {
  let sink: HttpSink;
  const ctx: ChannelContext = {
    log: createLogger({ level: 'silent' }),
    clock: { now: () => T0 },
    secret: 'secret',
    outboxDir: '/nonexistent',
    from: 'vigil@example.com',
  };
  const answer = (status: number, body: string) => {
    sink.respond = () => ({ status, body, headers: { 'content-type': 'text/plain' } });
  };
  /** Every message as Slack would read it: a JSON POST to the webhook's path, and nothing else sent. */
  const received = (): unknown[] =>
    sink.requests.map((request) => {
      expect(request.method).toBe('POST');
      expect(request.url).toBe(WEBHOOK_PATH);
      expect(request.headers['content-type']).toBe('application/json');
      return JSON.parse(request.body);
    });
  const send = (page = samplePage()) =>
    createSlackChannel(ctx).send(page, { webhookUrl: `${sink.url}${WEBHOOK_PATH}` });
  const message = (): SlackBody => slackMessageSchema.parse(received().at(-1));

  beforeEach(async () => {
    sink = await startHttpSink();
  });
  afterEach(() => sink.close());

  it('posts the summary as text and blocks with fields and the ack and status links', async () => {
    answer(200, 'ok');
    await send();

    const body = message();
    expect(body.text).toBe('[DOWN] Public API: 2 of 3 checks down — connect_refused');
    const texts = mrkdwnTexts(body);
    expect(texts[1]).toBe('*[DOWN] Public API: 2 of 3 checks down — connect_refused*\nPublic API is down');
    expect(texts).toEqual(
      expect.arrayContaining([
        '*Component*\nPublic API',
        '*Severity*\ncritical (investigating)',
        '*Since*\n2026-11-20T12:00:00Z (12m ago)',
        '*Vantages failing*\neu-west, us-east (2 of 3)',
        '*Error*\nconnect_refused',
      ]),
    );
    expect(texts.at(-1)).toBe(
      `<${LINKS.ack}|Acknowledge>  ·  <${LINKS.incident}|Incident>  ·  <${LINKS.statusPage}|Status page>`,
    );
    expect(texts.join('\n')).toContain('• *API health*: down since 2026-11-20T12:00:00Z (12m ago)');
  });

  it('says who acknowledged, and the downtime bounds on resolve', async () => {
    answer(200, 'ok');
    const pages = pageSequence();
    await send(pages.acknowledge);
    expect(mrkdwnTexts(message())).toContain('*Acknowledged by*\nAna');
    await send(pages.resolve);
    expect(mrkdwnTexts(message())).toContain('*Downtime*\nat least 2h50 and at most 4h04');
    expect(message().text).toBe('[RESOLVED] Public API: 3 checks back up after at least 2h50 and at most 4h04');
  });

  it('escapes mrkdwn control characters in user text, so no mention or forged link gets through', async () => {
    answer(200, 'ok');
    const incident = sampleIncident({
      title: 'Deploy <https://evil.example|Acknowledge> & <!here>',
      members: [sampleMember({ name: '<!channel> & <script>', message: '<@U123> hi' }), sampleMember()],
    });
    await send(samplePage({ incident, componentName: 'API <!everyone>' }));

    const texts = mrkdwnTexts(message());
    const all = texts.join('\n');
    expect(all).toContain('&lt;!channel&gt; &amp; &lt;script&gt;');
    expect(all).toContain('Deploy &lt;https://evil.example|Acknowledge&gt; &amp; &lt;!here&gt;');
    const withoutOurLinks = all.replace(/<https:\/\/[^|<>\s]+\|(Acknowledge|Incident|Status page)>/g, '');
    expect(withoutOurLinks).not.toMatch(/[<>]/);
  });

  it('lists at most 10 checks', async () => {
    answer(200, 'ok');
    await send(samplePage({ incident: largeIncident(200) }));
    const all = mrkdwnTexts(message()).join('\n');
    expect(all.match(/^• /gm)).toHaveLength(10);
    expect(all).toContain('_and 190 more_');
  });

  it.each([
    [400, 'invalid_payload'],
    [403, 'action_prohibited'],
    [404, 'no_service'],
    [410, 'channel_is_archived'],
  ])('gives up on %i %s, naming Slack’s reason but not the webhook path', async (status, reason) => {
    answer(status, reason);
    const error = await send().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toBe(
      `PermanentDeliveryError: slack delivery to ${sink.url} failed: HTTP ${status} ${reason}`,
    );
  });

  it.each([429, 500, 503])('keeps a %i retryable', async (status) => {
    answer(status, 'rollup_error');
    const error = await send().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
  });

  it('keeps a network failure retryable', async () => {
    const url = sink.url;
    await sink.close();
    const error = await send().catch((err: unknown) => err);
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toBe(`Error: slack delivery to ${url} failed: network error (ECONNREFUSED)`);
  });
});
