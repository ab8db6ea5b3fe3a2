import { type EpisodeRef, SLACK_ACTIONS, signEpisodeRef } from '@vigil/core';
import {
  type ChannelContext,
  type ChannelTargets,
  type Page,
  PermanentDeliveryError,
  RetryLaterError,
} from '../channel.js';
import { type ChannelHttp, type HttpAnswer, sendPost } from '../http-client.js';
import { isRetryableStatus, logDelivered, networkReason, retryAfter, urlOrigin } from '../http-delivery.js';
import type { SlackBlock, SlackMessage } from './slack-blocks.js';

/** The app form of a `slack` channel: a bot token, a conversation, and the signing secret of inbound presses. */
export type SlackAppTarget = Extract<ChannelTargets['slack'], { botToken: string }>;

/** Slack's `error` tokens worth retrying: its own trouble or its rate limit; any other is a fault retrying keeps. */
const TRANSIENT_ERRORS = new Set([
  'ratelimited',
  'fatal_error',
  'internal_error',
  'service_unavailable',
  'request_timeout',
]);
/** A Web API answer is a small JSON object; more than this is not read. */
const ANSWER_MAX = 64 * 1024;
/** The `ts` of app messages are kept as long as a page's sent marker. */
const MESSAGES_TTL_MS = 30 * 86_400_000;

/** A Web API call: the method, the target's token and base URL, and the JSON body. */
interface SlackCall {
  method: 'chat.postMessage' | 'chat.update';
  target: SlackAppTarget;
  body: Record<string, unknown>;
  timeoutMs: number;
  /** The registry's connections (`ChannelContext.http`). */
  http?: ChannelHttp | undefined;
}

/** The buttons an app message shows: Acknowledge until someone has, Resolve until it is resolved. */
export function slackActions(page: Page, ref: string): SlackBlock | undefined {
  const { incident } = page;
  if (page.action === 'resolve' || incident.status === 'resolved') return undefined;
  const button = (text: string, actionId: string, style: 'primary' | 'danger') => ({
    type: 'button' as const,
    text: { type: 'plain_text' as const, text },
    action_id: actionId,
    style,
    value: ref,
  });
  const elements = [
    ...(incident.acknowledgedAt === undefined ? [button('Acknowledge', SLACK_ACTIONS.acknowledge, 'primary')] : []),
    button('Resolve', SLACK_ACTIONS.resolve, 'danger'),
  ];
  return { type: 'actions', block_id: 'vigil-actions', elements };
}

/** The app message: the incoming-webhook message, its ack link replaced by buttons carrying a signed reference. */
export function slackAppMessage(base: SlackMessage, page: Page, secret: string): SlackMessage {
  const ref: EpisodeRef = { incidentId: page.incident.id, episode: page.incident.episode };
  const actions = slackActions(page, signEpisodeRef(secret, ref));
  return { ...base, blocks: actions ? [...base.blocks, actions] : base.blocks };
}

/**
 * App mode: a trigger posts a message (`chat.postMessage`) and keeps its `ts`; an acknowledgement or a
 * resolve updates every message of the episode in that conversation in place (`chat.update`), or posts
 * one when none is known. Slack's `ok: false` answers are read: `ratelimited` (and HTTP 429) retry,
 * `invalid_auth`, `channel_not_found` and the like are permanent.
 */
export async function sendSlackApp(
  ctx: ChannelContext,
  delivery: { page: Page; target: SlackAppTarget; message: SlackMessage; timeoutMs: number },
): Promise<void> {
  const { page, target, timeoutMs } = delivery;
  const message = slackAppMessage(delivery.message, page, ctx.secret);
  const body = { channel: target.channelId, text: message.text, blocks: message.blocks };
  const known = page.action === 'trigger' ? [] : await knownMessages(ctx, page, target);
  if (known.length === 0) {
    const answer = await callSlack({ method: 'chat.postMessage', target, body, timeoutMs, http: ctx.http });
    if (page.action === 'trigger' && typeof answer.ts === 'string') await remember(ctx, page, target, answer.ts);
  }
  for (const ts of known) {
    try {
      await callSlack({ method: 'chat.update', target, body: { ...body, ts }, timeoutMs, http: ctx.http });
    } catch (err) {
      // Deleted in Slack: nothing to update, and the others still are.
      if (!(err instanceof PermanentDeliveryError && err.message.includes('message_not_found'))) throw err;
      ctx.log.warn({ channel: 'slack', incident: page.incident.id }, 'slack message to update is gone');
    }
  }
  logDelivered(ctx.log, { channel: 'slack', page, url: target.apiBase, status: 200 });
}

function messagesKey(ctx: ChannelContext, page: Page, target: SlackAppTarget): string | undefined {
  return ctx.store?.keys.incidentSlackMessages(page.incident.id, page.incident.episode, target.channelId);
}

async function knownMessages(ctx: ChannelContext, page: Page, target: SlackAppTarget): Promise<string[]> {
  const key = messagesKey(ctx, page, target);
  return key && ctx.store ? ctx.store.redis.lrange(key, 0, -1) : [];
}

async function remember(ctx: ChannelContext, page: Page, target: SlackAppTarget, ts: string): Promise<void> {
  const key = messagesKey(ctx, page, target);
  if (!key || !ctx.store) return;
  await ctx.store.redis.multi().rpush(key, ts).pexpire(key, MESSAGES_TTL_MS).exec();
}

/** Calls a Web API method; returns Slack's answer when `ok`, throws by the channel contract otherwise. */
export async function callSlack(call: SlackCall): Promise<Record<string, unknown>> {
  const url = `${call.target.apiBase.replace(/\/+$/, '')}/${call.method}`;
  const where = `slack ${call.method} to ${urlOrigin(url) ?? 'an invalid URL'}`;
  let response: HttpAnswer;
  try {
    response = await sendPost({
      url,
      body: JSON.stringify(call.body),
      headers: {
        'content-type': 'application/json; charset=utf-8',
        authorization: `Bearer ${call.target.botToken}`,
      },
      timeoutMs: call.timeoutMs,
      http: call.http,
    });
  } catch (err) {
    throw new Error(`${where} failed: ${networkReason(err, call.timeoutMs)}`);
  }
  if (response.status === 429) {
    response.discard();
    const afterMs = retryAfter(response.header('retry-after'), Date.now()) ?? 0;
    throw new RetryLaterError(
      `${where} failed: HTTP 429 ratelimited (retry after ${Math.ceil(afterMs / 1000)}s)`,
      afterMs,
    );
  }
  if (response.status < 200 || response.status >= 300) {
    response.discard();
    const line = `${where} failed: HTTP ${response.status}`;
    throw isRetryableStatus(response.status) ? new Error(line) : new PermanentDeliveryError(line);
  }
  const answer = await readAnswer(response);
  if (answer?.ok === true) return answer;
  const token =
    typeof answer?.error === 'string' && /^[a-z_]{1,64}$/.test(answer.error) ? answer.error : 'unreadable_answer';
  const line = `${where} failed: ${token}`;
  throw TRANSIENT_ERRORS.has(token) ? new Error(line) : new PermanentDeliveryError(line);
}

async function readAnswer(response: HttpAnswer): Promise<Record<string, unknown> | undefined> {
  try {
    // One byte past the limit tells a long answer from one that just fits.
    const text = await response.read(ANSWER_MAX + 1);
    if (text === undefined || Buffer.byteLength(text) > ANSWER_MAX) return undefined;
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
