import type { ChannelConfig, Person } from '@vigil/core';
import { ackLinkParts, postApi } from '../api-delivery.js';
import {
  type Channel,
  type ChannelContext,
  type ChannelModule,
  type ChannelTargets,
  type Page,
  PermanentDeliveryError,
} from '../channel.js';
import { DEFAULT_TIMEOUT_MS, type HttpChannelOptions, logDelivered } from '../http-delivery.js';
import { escapeHtml, isWebUrl, oneLine, pageSubject, truncate } from '../page-content.js';

/** An SMS of more than a few segments is split, billed per segment and read badly: the page stays short. */
export const SMS_TEXT_MAX = 320;
/** What a call reads out before asking for a key: long enough for the summary, short enough to listen to. */
const SPOKEN_MAX = 400;
/** The path Twilio requests when the person called presses a key. */
export const TWILIO_VOICE_PATH = '/integrations/twilio/voice';

type TwilioTarget = ChannelTargets['twilio'];

/** One Twilio API call: where to POST and its form fields (To, From and Body, or Twiml). */
export interface TwilioRequest {
  path: string;
  form: Record<string, string>;
}

/** The SMS body: the one-line page and, on a trigger, the ack link. */
export function twilioSmsText(page: Page): string {
  const ack = page.links.ack && isWebUrl(page.links.ack) ? `\nAck: ${page.links.ack}` : '';
  return `${truncate(pageSubject(page), SMS_TEXT_MAX - ack.length)}${ack}`;
}

/**
 * The call's TwiML: the page read out, then a one-key Gather whose action (carrying the page's signed
 * ack token) acknowledges when the key is 1. Without an ack link, the page is only read out.
 */
export function twilioCallTwiml(page: Page): string {
  const spoken = escapeHtml(truncate(`Vigil page. ${pageSubject(page)}`, SPOKEN_MAX));
  const ack = ackLinkParts(page);
  if (!ack) return `<?xml version="1.0" encoding="UTF-8"?><Response><Say>${spoken}</Say></Response>`;
  const action = escapeHtml(`${ack.base}${TWILIO_VOICE_PATH}?token=${encodeURIComponent(ack.token)}`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?><Response>',
    `<Say>${spoken}</Say>`,
    `<Gather numDigits="1" timeout="10" method="POST" action="${action}">`,
    '<Say>Press 1 to acknowledge.</Say></Gather>',
    '<Say>No key was pressed. The incident is not acknowledged. Goodbye.</Say>',
    '</Response>',
  ].join('');
}

/**
 * The API calls of one page, one per number: a trigger in `call` mode rings (Calls.json with Twiml);
 * everything else, and acknowledges and resolves in `call` mode too, goes as an SMS (Messages.json):
 * nobody should be woken to hear that an incident is over.
 */
export function twilioRequests(page: Page, target: TwilioTarget): TwilioRequest[] {
  const account = `/2010-04-01/Accounts/${target.accountSid}`;
  const call = target.mode === 'call' && page.action === 'trigger';
  return (target.to ?? []).map(
    (to): TwilioRequest =>
      call
        ? { path: `${account}/Calls.json`, form: { To: to, From: target.from, Twiml: twilioCallTwiml(page) } }
        : { path: `${account}/Messages.json`, form: { To: to, From: target.from, Body: twilioSmsText(page) } },
  );
}

/** Twilio's JSON error (`{ code, message }`) in a few words: its code says what to fix. */
export function explainTwilioError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { code, message } = body as { code?: unknown; message?: unknown };
  if (typeof code !== 'number') return undefined;
  const text = typeof message === 'string' ? `: ${truncate(oneLine(message), 200)}` : '';
  return `Twilio error ${code}${text}`;
}

/** Posts form-encoded requests to Twilio's REST API with Basic auth (Account SID and auth token). */
export function createTwilioChannel(ctx: ChannelContext, options: HttpChannelOptions = {}): Channel<'twilio'> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    kind: 'twilio',
    async send(page, target) {
      const requests = twilioRequests(page, target);
      if (requests.length === 0) throw new PermanentDeliveryError('twilio channel has no `to` numbers to page');
      const authorization = `Basic ${Buffer.from(`${target.accountSid}:${target.authToken}`).toString('base64')}`;
      for (const request of requests) {
        const url = `${target.apiBase.replace(/\/+$/, '')}${request.path}`;
        const status = await postApi({
          http: ctx.http,
          channel: 'twilio',
          url,
          body: new URLSearchParams(request.form).toString(),
          headers: {
            authorization,
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          },
          timeoutMs,
          explain: explainTwilioError,
        });
        logDelivered(ctx.log, { channel: 'twilio', page, url, status });
      }
    },
  };
}

/** A person's `phone`, paged through the first declared twilio channel's account, number and mode. */
function phoneContact(person: Person, channels: readonly ChannelConfig[]): TwilioTarget | undefined {
  const account = channels.find((channel) => channel.twilio !== undefined)?.twilio;
  return person.phone && account ? { ...account, to: [person.phone] } : undefined;
}

/** Twilio: 2xx delivers; 408, 429 and 5xx retry; other 4xx (a bad number, bad credentials) are permanent. */
export const twilioChannel = {
  kind: 'twilio',
  create: createTwilioChannel,
  contact: phoneContact,
} satisfies ChannelModule<'twilio'>;
