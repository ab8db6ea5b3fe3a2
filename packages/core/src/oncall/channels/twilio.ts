import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { httpsUrlSchema } from '../../config/field-schemas.js';
import type { ChannelKindModule } from './channel-kind.js';

/** A phone number as Twilio takes it: E.164, `+` and up to 15 digits, no spaces. */
export const phoneSchema = z
  .string()
  .regex(/^\+[1-9]\d{1,14}$/, { error: 'expected a phone number in E.164 form, like +14155550100' });

export const twilioChannelSchema = z.strictObject({
  accountSid: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, { error: 'expected a Twilio Account SID (AC and 32 hex digits)' }),
  /** Signs the API calls and, on the way back, Twilio's requests to Vigil (X-Twilio-Signature). */
  authToken: z.string().min(16).max(128),
  from: phoneSchema,
  /** The numbers a channel destination pages; people's `phone` contacts go through the first twilio channel. */
  to: z.array(phoneSchema).min(1).optional(),
  /** `sms`: the short page and the ack link; `call`: the page read out, press 1 to acknowledge. */
  mode: z.enum(['sms', 'call']).default('sms'),
  /** Twilio's REST API; change it only for a proxy (or a test's fake). */
  apiBase: httpsUrlSchema.default('https://api.twilio.com'),
});

export const twilioChannel = {
  summary: 'an SMS with the ack link, or a voice call where pressing 1 acknowledges (Twilio REST API)',
  example: `channels:
  - id: phones
    twilio:
      accountSid: "\${TWILIO_SID}"       # AC…
      authToken: "\${TWILIO_TOKEN}"      # never logged nor echoed
      from: "+14155550100"
      to: ["+14155550199"]              # for \`channel:phones\` in escalations; people use their phone
      mode: call                        # or sms
people:
  - { id: ana, name: Ana, phone: "+33612345678" }
`,
  schema: twilioChannelSchema,
  /** A person's mobile number, paged through the first declared twilio channel. */
  contact: phoneSchema,
  contactName: 'phone' as const,
  contactThroughChannel: true,
} satisfies ChannelKindModule;

/**
 * Twilio's request signature: base64 HMAC-SHA1, keyed by the auth token, of the full URL Twilio
 * requested followed by each POST parameter's name and value, sorted by name.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string | string[]>): string {
  const hmac = createHmac('sha1', authToken).update(url);
  for (const name of Object.keys(params).sort()) {
    const value = params[name] ?? '';
    for (const one of Array.isArray(value) ? [...value].sort() : [value]) hmac.update(name).update(one);
  }
  return hmac.digest('base64');
}

/** Whether `signature` (the X-Twilio-Signature header) is Twilio's for this request; constant time. */
export function verifyTwilioSignature(options: {
  authToken: string;
  url: string;
  params: Record<string, string | string[]>;
  signature: string | undefined;
}): boolean {
  if (!options.signature) return false;
  const expected = Buffer.from(twilioSignature(options.authToken, options.url, options.params));
  const given = Buffer.from(options.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
