import type { FastifyInstance } from 'fastify';
import { apiErrorBody } from './api/api-error.js';

/** HEAD on a GET that changes state (a signed link): 405 with `Allow: GET`, and the handler never runs. */
export function refuseHead(app: FastifyInstance, url: string): void {
  app.head(url, async (_request, reply) => reply.code(405).header('allow', 'GET').send());
}

/** `name`, `name:port`, `1.2.3.4:port` or `[v6]:port`: what a Host header may hold (RFC 9110 §7.2). */
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;

/** Why a Host header cannot name this server, or undefined when it can. */
export function hostProblem(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const match = HOST.exec(host);
  const port = match?.[1] === undefined ? 0 : Number(match[1]);
  if (!match || port > 65_535 || !URL.canParse(`http://${host}/`)) return 'expected a host name or address, and a port';
  return undefined;
}

/**
 * Before any route: a malformed Host header is a 400 naming the header (links and feeds are built
 * from it). On every answer: `nosniff`, and `no-store` on the operator API, whose answers belong to
 * one token.
 */
export function installHttpHardening(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const problem = hostProblem(request.headers.host);
    if (!problem) return;
    await reply
      .code(400)
      .send(apiErrorBody('VALIDATION', `host: ${problem}`, [{ path: 'host', message: problem, in: 'headers' }]));
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    if (request.url.startsWith('/api/v1/') && !reply.hasHeader('cache-control'))
      reply.header('cache-control', 'no-store');
  });
}
