import {
  CheckRegistry,
  HeartbeatStore,
  IncidentStore,
  MaintenanceSource,
  MaintenanceStore,
  PublicStatusReader,
  ResultStore,
  type RoleContext,
  SubscriberStore,
  TargetGuard,
  TokenStore,
  type VigilConfig,
  VigilError,
} from '@vigil/core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { WebContext } from './context.js';

/** What the web role is started with besides its process's connection. */
export interface WebInput {
  config: VigilConfig;
  secret: string;
}

/** The stores and policies routes use, built once from the process's connection and config. */
export function createWebContext(base: RoleContext, input: WebInput): WebContext {
  const { redis, keys, clock, log } = base;
  const { config, secret } = input;
  const stores = { redis, keys };
  const checks = new CheckRegistry({ ...stores, clock, log });
  const incidents = new IncidentStore(stores);
  const maintenances = new MaintenanceStore(stores);
  const maintenanceSource = new MaintenanceSource({ maintenances, config });
  const tokens = new TokenStore(stores);
  return {
    redis,
    keys,
    clock,
    log,
    config,
    secret,
    guard: new TargetGuard({ allowPrivateTargets: config.allowPrivateTargets, allowTargets: config.allowTargets }),
    checks,
    tokens,
    heartbeats: new HeartbeatStore(stores),
    results: new ResultStore({ ...stores, historySize: config.history.perCheck }),
    incidents,
    maintenances,
    maintenanceSource,
    subscribers: new SubscriberStore({ ...stores, secret }),
    publicStatus: new PublicStatusReader({ ...stores, clock, config, checks, tokens, incidents, maintenanceSource }),
  };
}

/** The web role, listening: `close()` stops taking requests and lets those in flight finish. */
export class WebServer {
  readonly app: FastifyInstance;
  private closing: Promise<void> | undefined;

  constructor(ctx: WebContext) {
    this.app = buildApp(ctx);
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
