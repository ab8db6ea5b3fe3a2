import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * `__Host-`: Secure, no Domain, Path=/, so neither a sibling subdomain nor a plain-http page can
 * plant or read it. Browsers keep Secure (and so `__Host-`) cookies from https and from loopback
 * (Chromium 156 does on http://127.0.0.1 and http://localhost): the console needs one of the two.
 */
export const SESSION_COOKIE = '__Host-vigil-console';

/** A cookie's value from the Cookie header, or undefined. */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Sets (or, with an empty value, clears) the session cookie: HttpOnly, Secure, SameSite=Strict, Path=/. */
export function setSessionCookie(reply: FastifyReply, value: string): void {
  const expiry = value === '' ? '; Max-Age=0' : '';
  reply.header('set-cookie', `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; Secure; SameSite=Strict${expiry}`);
}
