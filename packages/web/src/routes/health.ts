import type { WebContext } from '../context.js';
import { type Route, route } from '../route.js';

/** How long /readyz waits for Redis before calling the process not ready. */
const READY_TIMEOUT_MS = 1_000;

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
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS);
        });
        try {
          await Promise.race([ctx.redis.ping(), timeout]);
          return reply.type('text/plain').send('ok\n');
        } catch {
          return reply.code(503).type('text/plain').send('redis unreachable\n');
        } finally {
          clearTimeout(timer);
        }
      },
    }),
  ];
}
