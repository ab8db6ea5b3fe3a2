import { type Page, PermanentDeliveryError, RetryLaterError } from './channel.js';
import type { ChannelHttp } from './http-client.js';
import { isRetryableStatus, retryAfter, sendToOrigin } from './http-delivery.js';

/** A provider's JSON error body is short; more than this is not read. */
const ERROR_BODY_BYTES = 8 * 1024;

export interface ApiPost {
  /** Names the channel in errors: `twilio`, `telegram`. */
  channel: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** What the provider's JSON error body says (`Twilio error 21211: …`), for the error of a failed delivery. */
  explain(body: unknown): string | undefined;
  /** The registry's connections (`ChannelContext.http`). */
  http?: ChannelHttp | undefined;
}

/**
 * POSTs to a provider's REST API (one whose URL or headers hold a credential) and sorts the answer:
 * returns on 2xx; a 429 that says when (Retry-After, Telegram's `retry_after`) throws `RetryLaterError`;
 * other 408, 429 and 5xx, network errors and timeouts throw a plain `Error` (retried); other 4xx and
 * redirects throw `PermanentDeliveryError`. Errors name the URL's origin only, never its path
 * (Telegram's carries the bot token).
 */
export async function postApi(post: ApiPost): Promise<number> {
  const { response, where } = await sendToOrigin(post, 'API base');
  const { status } = response;
  if (status >= 200 && status < 300) {
    response.discard();
    return status;
  }
  const text = await response.read(ERROR_BODY_BYTES);
  const explained = post.explain(parseJson(text));
  const line = `${where} failed: HTTP ${status}${explained ? ` (${explained})` : ''}`;
  if (status >= 300 && status < 400) throw new PermanentDeliveryError(`${line} (redirects are not followed)`);
  const retryAfterMs = status === 429 ? retryAfter(response.header('retry-after'), Date.now(), text) : undefined;
  if (retryAfterMs !== undefined) {
    throw new RetryLaterError(`${line} (retry after ${Math.ceil(retryAfterMs / 1000)}s)`, retryAfterMs);
  }
  throw isRetryableStatus(status) ? new Error(line) : new PermanentDeliveryError(line);
}

/** The ack link's signed token and the base URL it hangs off: `https://vigil.example.com`, `…/ack/<token>`. */
export function ackLinkParts(page: Page): { base: string; token: string } | undefined {
  const link = page.links.ack;
  const at = link?.lastIndexOf('/ack/') ?? -1;
  if (!link || at < 0) return undefined;
  return { base: link.slice(0, at), token: link.slice(at + '/ack/'.length) };
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
