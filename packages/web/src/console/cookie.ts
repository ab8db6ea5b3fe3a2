import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The session cookie's name: `__Host-` (Secure, no Domain, Path=/, so no subdomain or plain-http
 * page can plant or read it) when served over https; on plain http (a laptop's 127.0.0.1) the prefix
 * would be refused, so the bare name, still Secure (browsers accept that from loopback only).
 */
export function sessionCookieName(request: FastifyRequest): string {
  return request.protocol === 'https' ? '__Host-vigil-console' : 'vigil-console';
}

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
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, value: string): void {
  const name = sessionCookieName(request);
  const expiry = value === '' ? '; Max-Age=0' : '';
  reply.header('set-cookie', `${name}=${value}; Path=/; HttpOnly; Secure; SameSite=Strict${expiry}`);
}
