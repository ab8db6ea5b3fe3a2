import { Writable } from 'node:stream';
import { createLogger, SLACK_ACTIONS, verifyEpisodeRef } from '@vigil/core';
import { type TestContext, testContext } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ChannelContext, PermanentDeliveryError, RetryLaterError } from '../channel.js';
import { pageSequence } from '../page-fixtures.js';
import { type HttpSink, type ReceivedRequest, startHttpSink } from '../test-servers.js';
import { createSlackChannel } from './slack.js';
import type { SlackAppTarget } from './slack-app.js';

const SECRET = 'test-secret-0123456789';
const BOT_TOKEN = 'xoxb-1234567890-abcdefghij';

/** `chat.postMessage` and `chat.update` as documented (https://api.slack.com/methods/chat.postMessage). */
const button = z.strictObject({
  type: z.literal('button'),
  text: z.strictObject({ type: z.literal('plain_text'), text: z.string().min(1).max(75) }),
  action_id: z.string().min(1).max(255),
  style: z.enum(['primary', 'danger']).optional(),
  value: z.string().min(1).max(2000),
});
const actionsBlock = z.strictObject({
  type: z.literal('actions'),
  block_id: z.string().max(255).optional(),
  elements: z.array(button).min(1).max(25),
});
const otherBlock = z.looseObject({ type: z.enum(['section', 'context']) });
const messageBody = z.strictObject({
  channel: z.string().min(1),
  text: z.string().min(1),
  blocks: z
    .array(z.union([actionsBlock, otherBlock]))
    .min(1)
    .max(50),
  ts: z.string().optional(),
});

function parsed(request: ReceivedRequest | undefined) {
  return messageBody.parse(JSON.parse(request?.body ?? '{}'));
}

function buttons(request: ReceivedRequest | undefined) {
  const block = parsed(request).blocks.find((b) => b.type === 'actions');
  return block ? actionsBlock.parse(block).elements : [];
}

describe('slack channel, app mode', () => {
  let base: TestContext;
  let slack: HttpSink;
  let logged: string[];
  let ctx: ChannelContext;
  let target: SlackAppTarget;
  let nextTs: number;

  beforeEach(async () => {
    base = await testContext('slack-app');
    slack = await startHttpSink();
    logged = [];
    nextTs = 1;
    slack.respond = (request) => {
      const ts = request.url.endsWith('chat.postMessage') ? `1700000000.00000${nextTs++}` : undefined;
      return { status: 200, body: JSON.stringify({ ok: true, channel: 'C0123ABCD', ts }) };
    };
    const log = createLogger({
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logged.push(chunk.toString());
          done();
        },
      }),
    });
    ctx = { log, clock: base.clock, secret: SECRET, outboxDir: '/nonexistent', from: 'v@example.test', store: base };
    target = {
      botToken: BOT_TOKEN,
      channelId: 'C0123ABCD',
      signingSecret: 'signing-secret-0123456789',
      apiBase: `${slack.url}/api`,
    };
  });
  afterEach(async () => {
    await slack.close();
    await base.cleanup();
  });

  it('posts with the bot token, buttons carrying a signed reference, then updates that message on ack and resolve', async () => {
    const channel = createSlackChannel(ctx);
    const pages = pageSequence();
    await channel.send(pages.trigger, target);
    const [post] = slack.requests;
    expect(post?.method).toBe('POST');
    expect(post?.url).toBe('/api/chat.postMessage');
    expect(post?.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`);
    expect(post?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(parsed(post).channel).toBe('C0123ABCD');
    expect(parsed(post).ts).toBeUndefined();
    const [ack, resolve] = buttons(post);
    expect([ack?.action_id, resolve?.action_id]).toEqual([SLACK_ACTIONS.acknowledge, SLACK_ACTIONS.resolve]);
    expect(ack?.text.text).toBe('Acknowledge');
    expect(verifyEpisodeRef(SECRET, ack?.value ?? '')).toEqual({ incidentId: 'inc-1', episode: 1 });
    expect(verifyEpisodeRef('another-secret', ack?.value ?? '')).toBeUndefined();
    // The buttons acknowledge: the signed single-use link is not in the channel for anyone to follow.
    expect(post?.body).not.toContain('/ack/');

    await channel.send(pages.acknowledge, target);
    const update = slack.requests[1];
    expect(update?.url).toBe('/api/chat.update');
    expect(parsed(update).ts).toBe('1700000000.000001');
    expect(update?.body).toContain('Acknowledged by');
    expect(buttons(update).map((b) => b.action_id)).toEqual([SLACK_ACTIONS.resolve]);

    await channel.send(pages.resolve, target);
    const resolved = slack.requests[2];
    expect(resolved?.url).toBe('/api/chat.update');
    expect(parsed(resolved).ts).toBe('1700000000.000001');
    expect(buttons(resolved)).toEqual([]);
    expect(slack.requests).toHaveLength(3);
    expect(logged.join('')).not.toContain(BOT_TOKEN);
  });

  it('posts a new message for an ack or resolve whose message it never posted', async () => {
    await createSlackChannel(ctx).send(pageSequence().resolve, target);
    expect(slack.requests.map((r) => r.url)).toEqual(['/api/chat.postMessage']);
  });

  it.each([
    ['invalid_auth', true],
    ['channel_not_found', true],
    ['not_in_channel', true],
    ['ratelimited', false],
    ['internal_error', false],
  ])('reads ok:false with %s (permanent: %s)', async (error, permanent) => {
    slack.respond = () => ({ status: 200, body: JSON.stringify({ ok: false, error }) });
    const sent = createSlackChannel(ctx).send(pageSequence().trigger, target);
    await expect(sent).rejects.toThrow(error);
    await expect(sent).rejects.toSatisfy((err) => err instanceof PermanentDeliveryError === permanent);
  });

  it('retries HTTP 429 no sooner than Slack asks (Retry-After); a 404 is permanent', async () => {
    slack.respond = () => ({ status: 429, body: '', headers: { 'retry-after': '30' } });
    const limited = createSlackChannel(ctx).send(pageSequence().trigger, target);
    await expect(limited).rejects.toThrow('HTTP 429 ratelimited (retry after 30s)');
    await expect(limited).rejects.toSatisfy((err) => err instanceof RetryLaterError && err.retryAfterMs === 30_000);
    slack.respond = () => ({ status: 404, body: 'not found' });
    await expect(createSlackChannel(ctx).send(pageSequence().trigger, target)).rejects.toBeInstanceOf(
      PermanentDeliveryError,
    );
  });
});
