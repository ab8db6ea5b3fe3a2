import { redisReady } from '@vigil/core';
import type { WebContext } from '../../context.js';
import { type Route, route } from '../route.js';

export function healthRoutes(ctx: WebContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/healthz',
      summary: 'The process is up',
      tag: 'public',
      access: 'public',
      async handler({ reply }) {
        return reply.type('text/plain').send('ok\n');
      },
    }),
    route({
      method: 'GET',
      url: '/readyz',
      summary: 'Redis answers: the process can serve',
      tag: 'public',
      access: 'public',
      async handler({ reply }) {
        if (await redisReady(ctx.redis)) return reply.type('text/plain').send('ok\n');
        return reply.code(503).type('text/plain').send('redis unreachable\n');
      },
    }),
  ];
}
