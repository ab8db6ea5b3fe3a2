import {
  CheckRegistry,
  IncidentStore,
  MaintenanceStore,
  ResultStore,
  TargetGuard,
  TokenStore,
  VigilError,
} from '@vigil/core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { WebContext } from './context.js';

/** What the web role is given; the stores and the target guard are built from it. */
export type WebOptions = Pick<WebContext, 'redis' | 'keys' | 'log' | 'clock' | 'config' | 'secret'>;

/** The stores and policies routes use, built once from the process's connections and config. */
export function createWebContext(options: WebOptions): WebContext {
  const stores = { redis: options.redis, keys: options.keys };
  return {
    ...options,
    guard: new TargetGuard({
      allowPrivateTargets: options.config.allowPrivateTargets,
      allowTargets: options.config.allowTargets,
    }),
    checks: new CheckRegistry(stores),
    tokens: new TokenStore(stores),
    results: new ResultStore({ ...stores, historySize: options.config.history.perCheck }),
    incidents: new IncidentStore(stores),
    maintenances: new MaintenanceStore(stores),
  };
}

/** The web role, listening: `close()` stops taking requests and lets those in flight finish. */
export class WebServer {
  readonly app: FastifyInstance;
  private closing: Promise<void> | undefined;

  constructor(options: WebOptions) {
    this.app = buildApp(createWebContext(options));
  }

  /** Listens on `host:port` (loopback unless told otherwise); a port in use is a clear error. */
  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    try {
      return await this.app.listen({ port, host });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const reason = code === 'EADDRINUSE' ? 'is in use' : `cannot be listened on (${code ?? (err as Error).message})`;
      throw new VigilError('VALIDATION', `VIGIL_PORT: port ${port} ${reason}; set VIGIL_PORT to a free port`);
    }
  }

  /**
   * Stops taking requests (new ones get 503) and lets those in flight finish. A keep-alive
   * connection that goes idle after closing began would hold the server open until its timeout, so
   * idle connections are swept until the last request is answered.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const sweep = setInterval(() => this.app.server.closeIdleConnections(), 50);
      try {
        await this.app.close();
      } finally {
        clearInterval(sweep);
      }
    })();
    return this.closing;
  }
}
