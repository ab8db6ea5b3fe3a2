import { verifyTwilioSignature } from '@vigil/core';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { WebContext } from '../../context.js';
import { type FormBody, formValue } from '../../integrations/form-body.js';
import { providerRefusal } from '../../integrations/provider-refusal.js';
import { escapeHtml } from '../../status/page/escape.js';
import { type Route, route } from '../route.js';
import { redeem } from './ack.js';

const TWILIO_VOICE_URL = '/integrations/twilio/voice';
const SIGNATURE_HEADER = 'x-twilio-signature';
const voiceQuery = z.strictObject({ token: z.string().min(1).max(2_000) });

/** A TwiML answer: Twilio reads `sentence` to the caller and hangs up. */
function say(sentence: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Response><Say>${escapeHtml(sentence)}</Say><Hangup/></Response>`;
}

/** The URL Twilio requested, as it signed it: the public base Vigil's pages link to, and the path with query. */
function requestedUrl(ctx: WebContext, request: FastifyRequest): string {
  const base = ctx.config.notifier.publicUrl ?? `${request.protocol}://${request.host}`;
  return `${base.replace(/\/+$/, '')}${request.url}`;
}

/** The body as the form fields Twilio signs; undefined for anything else (JSON, a number). */
function formOf(body: unknown): FormBody | undefined {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) return undefined;
  const isField = (value: unknown) =>
    typeof value === 'string' || (Array.isArray(value) && value.every((one) => typeof one === 'string'));
  return Object.values(body).every(isField) ? (body as FormBody) : undefined;
}

/** Refuses a request no configured Twilio account signed; says why in the log, changes nothing. */
function verify(ctx: WebContext, request: FastifyRequest): void {
  const accounts = ctx.config.channels.flatMap((channel) => (channel.twilio ? [channel.twilio] : []));
  const header = request.headers[SIGNATURE_HEADER];
  const signature = typeof header === 'string' ? header : undefined;
  const params = formOf(request.body);
  const url = requestedUrl(ctx, request);
  let reason: string | undefined;
  if (accounts.length === 0) reason = 'no twilio channel is configured';
  else if (!signature) reason = 'the signature header is missing';
  else if (!params) reason = 'the body is not a form as Twilio posts';
  else if (!accounts.some(({ authToken }) => verifyTwilioSignature({ authToken, url, params, signature }))) {
    reason = 'the signature does not match any twilio account';
  }
  if (reason === undefined) return;
  ctx.log.warn({ route: TWILIO_VOICE_URL, reason }, 'twilio request refused');
  throw providerRefusal('Twilio', SIGNATURE_HEADER, reason);
}

/** Pressing 1 on a page's call: acknowledges as the person called, once, and says what happened. */
async function acknowledgeByKeypress(ctx: WebContext, token: string, digits: string | undefined): Promise<string> {
  if (digits !== '1') return say('No acknowledgement was made. Goodbye.');
  const now = ctx.clock.now();
  const claim = await redeem(ctx, token, now);
  if ('status' in claim) {
    ctx.log.info({ reason: claim.lines.join(' ') }, 'twilio keypress did not acknowledge');
    return say(`${claim.title}. ${claim.lines.join(' ')}`);
  }
  const by = `${claim.by} via twilio`;
  const outcome = await ctx.incidents.acknowledge(claim.incidentId, by, now);
  ctx.log.info({ incident: claim.incidentId, by, outcome }, 'acknowledged by keypress');
  if (outcome === 'acknowledged') return say('Acknowledged. Escalation has stopped. Thank you.');
  if (outcome === 'already') {
    const incident = await ctx.incidents.get(claim.incidentId);
    return say(`Already acknowledged by ${incident?.acknowledgedBy ?? 'someone'}. Nothing changed.`);
  }
  return say(outcome === 'resolved' ? 'The incident is already resolved. Nothing changed.' : 'Incident not found.');
}

/**
 * `/integrations/twilio/voice`: where a page's call sends the key pressed (Twilio's Gather action).
 * Twilio signs the request with the account's auth token; the query carries the page's signed,
 * single-use ack token, so a keypress acknowledges once, for the incident and person it was about.
 */
export function twilioRoutes(ctx: WebContext): Route[] {
  return [
    route({
      method: 'POST',
      url: TWILIO_VOICE_URL,
      summary: 'Acknowledge an incident by pressing 1 on the call that paged (Twilio Gather action)',
      tag: 'public',
      access: 'public',
      query: voiceQuery,
      async handler({ query, request, reply }) {
        verify(ctx, request);
        const twiml = await acknowledgeByKeypress(ctx, query.token, formValue(request.body, 'Digits'));
        return reply.code(200).header('content-type', 'text/xml; charset=utf-8').send(twiml);
      },
    }),
  ];
}
