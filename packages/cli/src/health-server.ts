import { createServer, type Server } from 'node:http';
import { type Redis, VigilError } from '@vigil/core';

/**
 * `/healthz` (the process is up) and `/readyz` (Redis answers) on loopback by default: what
 * orchestrators poll, and what the example config watches so a newcomer sees a real HTTP check.
 */
export async function startHealthServer(options: { port: number; host?: string; redis: Redis }): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      options.redis.ping().then(
        () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n'),
        () => res.writeHead(503, { 'content-type': 'text/plain' }).end('redis unreachable\n'),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'EADDRINUSE' ? 'is in use' : `cannot be listened on (${err.code ?? err.message})`;
      reject(new VigilError('VALIDATION', `VIGIL_PORT: port ${options.port} ${reason}; set VIGIL_PORT to a free port`));
    });
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return server;
}
