import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { httpsUrlSchema } from '../../config/field-schemas.js';
import type { ChannelKindModule } from './channel-kind.js';

/** Pushover's application tokens and user (or group) keys: 30 letters and digits. */
const pushoverKey = (what: string) =>
  z.string().regex(/^[A-Za-z0-9]{30}$/, { error: `expected a Pushover ${what}: 30 letters and digits` });

/** Pushover's bounds on an emergency message: re-alert at most every 30 s, for at most 3 hours. */
export const PUSHOVER_MIN_RETRY_S = 30;
export const PUSHOVER_MAX_EXPIRE_S = 10_800;

export const PUSHOVER_API_BASE = 'https://api.pushover.net';
/** The API's base URL; change it only for a proxy (or a test's fake). */
const apiBaseSchema = httpsUrlSchema.transform((url) => url.replace(/\/+$/, ''));

const userSettings = {
  /** The application's API token: the sender. */
  token: pushoverKey('application token'),
  /** The user or group key: who is woken. */
  user: pushoverKey('user key'),
  /** Only this device of the user's (a name Pushover knows). */
  device: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,25}$/)
    .optional(),
};

export const pushoverChannelSchema = z.strictObject({
  ...userSettings,
  /** How often an unacknowledged emergency page alerts again, in seconds. */
  retry: z.number().int().min(PUSHOVER_MIN_RETRY_S).max(PUSHOVER_MAX_EXPIRE_S).default(60),
  /** How long it keeps alerting unless acknowledged, in seconds. */
  expire: z.number().int().min(PUSHOVER_MIN_RETRY_S).max(PUSHOVER_MAX_EXPIRE_S).default(3_600),
  apiBase: apiBaseSchema.default(PUSHOVER_API_BASE),
});

export const pushoverChannel = {
  summary: 'an emergency-priority Pushover notification that alerts again until acknowledged',
  example: `channels:
  - { id: po-ops, pushover: { token: "\${PUSHOVER_APP_TOKEN}", user: "\${PUSHOVER_GROUP_KEY}", retry: 60, expire: 3600 } }
people:
  - { id: ana, name: Ana, pushover: { token: "\${PUSHOVER_APP_TOKEN}", user: "\${ANA_PUSHOVER_KEY}" } }
`,
  schema: pushoverChannelSchema,
  /** A person's user key, with the application token that sends to it (`{ token, user }`). */
  contact: z.strictObject({ ...userSettings, apiBase: apiBaseSchema.optional() }),
} satisfies ChannelKindModule;

/** What a Pushover callback URL names: the incident episode it pages, and who it woke. */
export interface PushoverCallbackRef {
  incidentId: string;
  episode: number;
  /** The person (or channel) paged: the acknowledgement is theirs, "via pushover". */
  by: string;
}

/**
 * The signature in a Pushover callback URL. Pushover does not sign its callbacks, so the URL carries
 * an HMAC (VIGIL_SECRET) of what it acknowledges: a forged or altered URL acknowledges nothing.
 */
export function pushoverCallbackSignature(secret: string, ref: PushoverCallbackRef): string {
  const payload = JSON.stringify(['pushover-callback', ref.incidentId, ref.episode, ref.by]);
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/** Whether `signature` is the one Vigil put in the callback URL for `ref`, compared in constant time. */
export function verifyPushoverCallback(secret: string, ref: PushoverCallbackRef, signature: string): boolean {
  const expected = Buffer.from(pushoverCallbackSignature(secret, ref));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
