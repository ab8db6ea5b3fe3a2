import { isIP } from 'node:net';
import { z } from 'zod';

/** RFC 1123 labels: letters, digits and inner hyphens, at most 63 each, 253 in all; a final dot is allowed. */
const HOST_NAME =
  /^(?=.{1,253}\.?$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** A DNS name (RFC 1123), as a TCP host or a name a DNS check asks about. */
export function isHostName(text: string): boolean {
  return HOST_NAME.test(text);
}

/** A DNS name or an IPv4/IPv6 literal (bracketed or not) — not `host:80`, a URL, or stray spaces. */
export function isHostOrAddress(host: string): boolean {
  const bracketed = /^\[([^\]]+)\]$/.exec(host)?.[1];
  return isIP(host) !== 0 || (bracketed !== undefined && isIP(bracketed) === 6) || HOST_NAME.test(host);
}

const PORT_MESSAGE = 'expected a port from 1 to 65535';

/** A number, or digits in a string (so `${PORT}` from the environment works). */
export const portSchema = z
  .union(
    [
      z.int(),
      z
        .string()
        .regex(/^\d{1,5}$/)
        .transform(Number),
    ],
    { error: PORT_MESSAGE },
  )
  .pipe(z.int().min(1, { error: PORT_MESSAGE }).max(65535, { error: PORT_MESSAGE }));

/** `db.example.com:5432`, `10.0.0.1:443`, `[2001:db8::1]:443` or a bare host → host (unbracketed) and port text. */
export function splitHostPort(text: string): { host: string; port: string | undefined } {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed?.[1]) return { host: bracketed[1], port: bracketed[2] };
  if (isIP(text) === 6) return { host: text, port: undefined };
  const colon = text.lastIndexOf(':');
  return colon < 0 ? { host: text, port: undefined } : { host: text.slice(0, colon), port: text.slice(colon + 1) };
}
