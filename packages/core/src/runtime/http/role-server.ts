import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { VigilError } from '../../errors/errors.js';
import type { Logger } from '../logger.js';
import type { Redis } from '../redis.js';
import { sendExposition } from './metrics-exposition.js';

let registry: Registry | undefined;

/**
 * The process's metrics registry: one per process, so `vigil up` serves every role's metrics on one
 * `/metrics`, and each role in its own container serves its own. Default process and Node.js metrics
 * are collected once.
 */
export function processMetrics(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters (promtool refuses them); `nodejs_active_handles` etc. say the same.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      registry.removeSingleMetric(name);
  }
  return registry;
}

/** Whether the role can do its work: Redis answers within a second. */
export async function redisReady(redis: Pick<Redis, 'ping'>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, 1_000, false);
  });
  const answered = redis.ping().then(
    (pong) => pong === 'PONG',
    () => false,
  );
  try {
    return await Promise.race([answered, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface RoleServerOptions {
  port: number;
  host?: string;
  redis: Pick<Redis, 'ping'>;
  log: Logger;
  /** `/healthz` and `/readyz`, `/metrics`, or both (the default). */
  serves?: { health: boolean; metrics: boolean };
  /** When set, `/metrics` answers 401 unless the request carries `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
  /** The setting a port in use is blamed on: `VIGIL_PORT` (the default) or `metrics.listen`. */
  portSetting?: string;
}

const HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

/** Whether an `Authorization` header carries the token, in time that does not depend on where they differ. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  const digest = (text: string) => createHash('sha256').update(text).digest();
  // Comparing digests keeps the length of the token out of the timing too.
  return timingSafeEqual(digest(match?.[1] ?? ''), digest(token)) && match !== null;
}

/**
 * `/healthz` (the process is up), `/readyz` (Redis answers) and `/metrics` (Prometheus text, behind a
 * bearer token when one is configured): beside each other for a role without an HTTP surface of its own
 * (the scheduler, the notifier, the probers), or `/metrics` alone on a listener of its own.
 */
export class RoleServer {
  private readonly server: Server;

  constructor(readonly options: RoleServerOptions) {
    const serves = options.serves ?? { health: true, metrics: true };
    const paths = [...(serves.health ? ['/healthz', '/readyz'] : []), ...(serves.metrics ? ['/metrics'] : [])];
    this.server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      const send = (status: number, body: string, extra: Record<string, string> = {}) => {
        response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...HEADERS, ...extra }).end(body);
      };
      if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'method not allowed\n');
      if (serves.health && path === '/healthz') return send(200, 'ok\n');
      if (serves.health && path === '/readyz') {
        void redisReady(options.redis).then((ready) =>
          send(ready ? 200 : 503, ready ? 'ready\n' : 'redis unreachable\n'),
        );
        return;
      }
      if (serves.metrics && path === '/metrics') {
        if (options.metricsToken !== undefined && !bearerMatches(request.headers.authorization, options.metricsToken)) {
          return send(401, 'unauthorized: send Authorization: Bearer <metrics.token>\n', {
            'www-authenticate': 'Bearer realm="metrics"',
          });
        }
        void sendExposition(processMetrics(), request, response, HEADERS).catch((err: unknown) => {
          options.log.error({ err }, 'metrics collection failed');
          if (response.headersSent) response.destroy();
          else send(500, 'metrics collection failed\n');
        });
        return;
      }
      send(404, `not found: try ${paths.join(', ')}\n`);
    });
  }

  /** Listens (loopback unless `host` says otherwise); a port in use is a clear error naming the setting. */
  async listen(): Promise<string> {
    const { port, host = '127.0.0.1', portSetting = 'VIGIL_PORT' } = this.options;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      const reason = err.code === 'EADDRINUSE' ? 'is in use' : `cannot be listened on (${err.code ?? err.message})`;
      throw new VigilError('VALIDATION', `${portSetting}: ${host}:${port} ${reason}`, [
        { path: portSetting, message: `expected a free port; ${port} ${reason}` },
      ]);
    });
    const address = this.server.address() as AddressInfo;
    return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
