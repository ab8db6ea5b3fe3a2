import type { Logger } from '@vigil/core';
import { type ChannelContext, type Page, PermanentDeliveryError, RetryLaterError } from './channel.js';
import { type ChannelHttp, type HttpAnswer, type HttpPost, sendPost } from './http-client.js';

/** Long enough for a slow receiver, short enough that a hung one does not hold a page (and its retries) hostage. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Slack answers failures with a short token (`no_service`); more than this is not a token and is not read. */
const TOKEN_BYTES = 128;
/** A 429's body is read this far for `retry_after` (Discord, Telegram); the rest is not. */
const LIMITED_BODY_BYTES = 2048;
/** undici's own timers, set to the same limit as the request's deadline: whichever fires first, it is that deadline. */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/** A Retry-After longer than this is not honoured as such: BullMQ's backoff and attempts still bound a page. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/** Settings shared by the channels that POST to a URL. */
export interface HttpChannelOptions {
  /** Per request, from connect to the end of the response. */
  timeoutMs?: number;
}

export interface JsonPost {
  /** Names the channel in errors: `webhook`, `slack`, `pagerduty`. */
  channel: string;
  url: string;
  body: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Put the receiver's one-word answer (Slack's `invalid_payload`) into the error of a failed delivery. */
  explainWithToken?: boolean;
  /** The registry's connections (`ChannelContext.http`). */
  http?: ChannelHttp | undefined;
}

/**
 * POSTs a JSON body and turns the outcome into the channel contract: returns the status on 2xx, throws
 * `PermanentDeliveryError` when retrying cannot help (other 4xx, a redirect, a bad URL) and a plain `Error`
 * otherwise (408, 429, 5xx, network, timeout). Errors name only the URL's origin: paths and queries carry secrets.
 */
export async function postJson(post: JsonPost): Promise<number> {
  const { response, where } = await sendToOrigin(
    {
      channel: post.channel,
      url: post.url,
      body: post.body,
      headers: { 'content-type': 'application/json', ...post.headers },
      timeoutMs: post.timeoutMs,
      http: post.http,
    },
    'URL',
  );
  const ok = response.status >= 200 && response.status < 300;
  const limited = response.status === 429;
  const text = await finishBody(
    response,
    limited ? LIMITED_BODY_BYTES : post.explainWithToken && !ok ? TOKEN_BYTES : 0,
  );
  if (ok) return response.status;
  const token = post.explainWithToken && text !== undefined ? tokenOf(text) : undefined;
  const error = statusError(where, response.status, token);
  const retryAfterMs = limited ? retryAfter(response.header('retry-after'), Date.now(), text) : undefined;
  if (retryAfterMs === undefined) throw error;
  throw new RetryLaterError(`${error.message} (retry after ${Math.ceil(retryAfterMs / 1000)}s)`, retryAfterMs);
}

/**
 * When a 429 says to retry, in ms from `now`: the `Retry-After` header (delay-seconds or an HTTP
 * date), else a JSON body's `retry_after` in seconds (Discord's, Telegram's under `parameters`).
 * Undefined when neither is readable; capped at an hour.
 */
export function retryAfter(header: string | null, now: number, body?: string): number | undefined {
  const ms = headerRetryAfter(header, now) ?? bodyRetryAfter(body);
  return ms === undefined ? undefined : Math.min(Math.max(0, Math.ceil(ms)), MAX_RETRY_AFTER_MS);
}

function headerRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  if (/^\d{1,7}(\.\d+)?$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : at - now;
}

function bodyRetryAfter(body: string | undefined): number | undefined {
  if (!body) return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const parameters = 'parameters' in parsed ? parsed.parameters : undefined;
    const nested = typeof parameters === 'object' && parameters !== null ? parameters : {};
    const value =
      'retry_after' in parsed ? parsed.retry_after : 'retry_after' in nested ? nested.retry_after : undefined;
    return typeof value === 'number' && Number.isFinite(value) ? value * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends a POST whose URL may hold a credential: a URL that is not http(s) throws `PermanentDeliveryError`
 * (`<channel> <what> is not a valid http(s) URL`), no response (network error, timeout) a plain `Error`.
 * `where` (`<channel> delivery to <origin>`) starts the errors of the answer; it names the origin only.
 */
export async function sendToOrigin(
  post: HttpPost & { channel: string },
  what: string,
): Promise<{ response: HttpAnswer; where: string }> {
  const origin = urlOrigin(post.url);
  if (!origin) throw new PermanentDeliveryError(`${post.channel} ${what} is not a valid http(s) URL`);
  const where = `${post.channel} delivery to ${origin}`;
  try {
    const { url, body, headers, timeoutMs, http } = post;
    return { response: await sendPost({ url, body, headers, timeoutMs, http }), where };
  } catch (err) {
    throw new Error(`${where} failed: ${networkReason(err, post.timeoutMs)}`);
  }
}

/** Whether a failed status is worth retrying: the receiver is busy, limiting us, or broken for now. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** `https://hooks.slack.com`: what may be logged of a URL whose path or query is a credential. */
export function urlOrigin(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Posts a page's message as JSON to a webhook URL (Slack, Discord, Teams, Mattermost) and logs the
 * delivery with the URL's origin only.
 */
export async function postWebhookMessage(
  ctx: Pick<ChannelContext, 'http' | 'log'>,
  post: Omit<JsonPost, 'body' | 'http' | 'headers'> & { page: Page; message: unknown },
): Promise<void> {
  const { page, message, ...request } = post;
  const status = await postJson({ ...request, http: ctx.http, body: JSON.stringify(message) });
  logDelivered(ctx.log, { channel: request.channel, page, url: request.url, status });
}

/** One info line per delivered page, with the origin only. */
export function logDelivered(
  log: Logger,
  delivery: { channel: string; page: Page; url: string; status: number },
): void {
  const { channel, page, url, status } = delivery;
  log.info(
    {
      channel,
      action: page.action,
      incident: page.incident.id,
      dedupKey: page.dedupKey,
      origin: urlOrigin(url),
      status,
    },
    'page delivered',
  );
}

function statusError(where: string, status: number, token: string | undefined): Error {
  const line = `${where} failed: HTTP ${status}${token ? ` ${token}` : ''}`;
  if (status >= 300 && status < 400) return new PermanentDeliveryError(`${line} (redirects are not followed)`);
  return isRetryableStatus(status) ? new Error(line) : new PermanentDeliveryError(line);
}

/** Why a request got no response, by stable codes (never the error text, which may quote the URL). */
export function networkReason(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return `no response within ${timeoutMs}ms`;
  const cause = err instanceof Error ? err.cause : undefined;
  const code = errorCode(cause) ?? errorCode(err);
  if (code !== undefined && TIMEOUT_CODES.has(code)) return `no response within ${timeoutMs}ms`;
  return code ? `network error (${code})` : 'network error';
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' && /^[A-Z0-9_]{2,40}$/.test(err.code) ? err.code : undefined;
}

/** Releases the connection; when asked, returns up to `maxBytes` of the body. */
async function finishBody(response: HttpAnswer, maxBytes: number): Promise<string | undefined> {
  if (maxBytes > 0) return response.read(maxBytes);
  response.discard();
  return undefined;
}

/** The body if it is one short word (Slack's `no_service`): anything longer is not quoted in errors. */
function tokenOf(body: string): string | undefined {
  const text = body.trim();
  return text.length <= TOKEN_BYTES && /^[a-z][a-z0-9_.-]{0,63}$/i.test(text) ? text : undefined;
}
