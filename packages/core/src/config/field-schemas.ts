import { z } from 'zod';

/** Shared field shapes of vigil.yaml and the API: addresses, URLs, zones and instants. */
export const emailSchema = z.email({ error: 'expected an email address' });
export const httpsUrlSchema = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

/** An IANA time zone name the runtime knows (`Europe/Paris`, `UTC`). */
export const timezoneSchema = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected an IANA time zone such as UTC or Europe/Paris' },
);

/** An ISO 8601 date-time with an offset or Z, as epoch ms. */
export const instantSchema = z.iso
  .datetime({ offset: true, error: 'expected an ISO 8601 date-time such as 2026-11-25T09:00:00Z' })
  .transform((text) => Date.parse(text));
