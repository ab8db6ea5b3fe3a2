import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Public pages and feeds are the same for everyone: a short shared cache and an ETag let a crowd
 * arriving during an outage cost a 304 each, and a CDN absorb the rest.
 */
export const PUBLIC_MAX_AGE_S = 10;

/** Weak ETag of a body: equal bodies, equal tags, whichever process rendered them. */
export function etagOf(body: string): string {
  return `W/"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
}

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed === etag || `W/${trimmed}` === etag;
  });
}

/** Sends `body` with ETag and Cache-Control, or a bodiless 304 when the client already has it. */
export function sendCached(
  request: FastifyRequest,
  reply: FastifyReply,
  content: { body: string; type: string; maxAgeS?: number; etag?: string },
): FastifyReply {
  const { body, type, maxAgeS = PUBLIC_MAX_AGE_S } = content;
  const etag = content.etag ?? etagOf(body);
  reply
    .header('etag', etag)
    .header('cache-control', `public, max-age=${maxAgeS}, stale-while-revalidate=${maxAgeS * 3}`)
    .header('vary', 'accept-encoding');
  if (matches(request.headers['if-none-match'], etag)) return reply.code(304).send();
  return reply.code(200).type(type).send(body);
}
