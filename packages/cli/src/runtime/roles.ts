import { join } from 'node:path';
import {
  DEFAULT_METRICS_PORT,
  type Logger,
  RoleServer,
  resolveSecret,
  type Vantage,
  type VigilConfig,
} from '@vigil/core';
import type { SchedulerContext } from '@vigil/scheduler';
import type { Runtime } from './runtime.js';

// Each role's package is imported when that role starts: `vigil prober` never loads the web role's Fastify.

/** A running role: `close()` stops taking work, finishes what is in flight, and releases resources. */
export interface RunningRole {
  name: string;
  close(): Promise<void>;
}

/** The role's logger: the process's own when it runs one role, a child bound to the role under `up`. */
function roleLog(runtime: Runtime, role: string, bindings: Record<string, string> = {}): Logger {
  return runtime.role === role ? runtime.log : runtime.log.child({ role, ...bindings });
}

/** Writes the config's checks into the registry (create or update; others are left alone), in bulk. */
export function syncConfigChecks(
  ctx: Pick<SchedulerContext, 'checks'>,
  config: VigilConfig,
): Promise<Record<string, number>> {
  return ctx.checks.putMany(config.checks);
}

export async function startScheduler(runtime: Runtime, config: VigilConfig): Promise<RunningRole> {
  const { createSchedulerContext, Scheduler } = await import('@vigil/scheduler');
  const ctx = createSchedulerContext(
    { ...runtime, log: roleLog(runtime, 'scheduler') },
    { vantages: config.vantages.map((vantage) => vantage.id) },
  );
  const counts = await syncConfigChecks(ctx, config);
  runtime.log.info({ ...counts }, 'config checks synced into the registry');
  const scheduler = new Scheduler(ctx);
  await scheduler.start();
  return { name: 'scheduler', close: () => scheduler.close() };
}

export async function startProber(runtime: Runtime, config: VigilConfig, vantage: Vantage): Promise<RunningRole> {
  const { createProberContext, ProbeWorker } = await import('@vigil/prober');
  const log = roleLog(runtime, 'prober', { vantage: vantage.id });
  const worker = new ProbeWorker(createProberContext({ ...runtime, log }, { config, vantage }));
  await worker.start();
  return { name: `prober ${vantage.id}`, close: () => worker.close() };
}

export async function startNotifier(
  runtime: Runtime,
  config: VigilConfig,
  options: { stateDir?: string } = {},
): Promise<RunningRole> {
  const { closeChannels, createChannels, createNotifierContext, Notifier } = await import('@vigil/notifier');
  const log = roleLog(runtime, 'notifier');
  const { secret, generated } = await resolveSecret(runtime, runtime.env.VIGIL_SECRET);
  if (generated)
    log.warn('VIGIL_SECRET is not set: ack links and webhooks are signed with a secret generated into Redis');
  const outboxDir = join(options.stateDir ?? '.vigil', 'outbox');
  const channels = createChannels({
    log,
    clock: runtime.clock,
    secret,
    ...(runtime.env.SMTP_URL && { smtpUrl: runtime.env.SMTP_URL }),
    outboxDir,
    from: runtime.env.VIGIL_MAIL_FROM,
    store: runtime,
  });
  if (!runtime.env.SMTP_URL)
    log.info({ outbox: outboxDir }, 'SMTP_URL is not set: email pages are written to the outbox');
  const publicUrl = config.notifier.publicUrl ?? `http://127.0.0.1:${runtime.env.VIGIL_PORT}`;
  const notifier = new Notifier(createNotifierContext({ ...runtime, log }, { config, channels, secret, publicUrl }));
  await notifier.start();
  return {
    name: 'notifier',
    close: async () => {
      await notifier.close();
      await closeChannels(channels);
    },
  };
}

/** The web role: the operator API, acknowledge links and health endpoints on VIGIL_PORT (loopback unless `host`). */
export async function startWeb(
  runtime: Runtime,
  config: VigilConfig,
  options: { host?: string } = {},
): Promise<RunningRole> {
  const { createWebContext, WebServer } = await import('@vigil/web');
  const log = roleLog(runtime, 'web');
  const { secret } = await resolveSecret(runtime, runtime.env.VIGIL_SECRET);
  const web = new WebServer(createWebContext({ ...runtime, log }, { config, secret }));
  const url = await web.listen(runtime.env.VIGIL_PORT, options.host);
  log.info({ url }, 'web listening');
  return { name: 'web', close: () => web.close() };
}

/**
 * `/healthz` and `/readyz` on VIGIL_PORT for a role without an HTTP surface of its own, and `/metrics`
 * beside them, or on a listener of its own when `metrics.listen` says where.
 */
export async function startRoleServer(
  runtime: Runtime,
  config: Pick<VigilConfig, 'metrics'>,
  host?: string,
): Promise<RunningRole[]> {
  const { listen } = config.metrics;
  const token = config.metrics.token ?? runtime.env.VIGIL_METRICS_TOKEN;
  const server = new RoleServer({
    port: runtime.env.VIGIL_PORT,
    ...(host !== undefined && { host }),
    redis: runtime.redis,
    log: runtime.log,
    serves: { health: true, metrics: listen === undefined },
    metricsToken: token,
  });
  const url = await server.listen();
  runtime.log.info({ url }, listen === undefined ? 'health and metrics listening' : 'health listening');
  const running: RunningRole[] = [{ name: 'health', close: () => server.close() }];
  if (listen !== undefined) {
    const metrics = await startMetricsServer(runtime, config, host);
    if (metrics) running.unshift(metrics);
  }
  return running;
}

/**
 * `/metrics` on a listener of its own: `metrics.listen`, or port 9464 of `host` for the roles whose
 * VIGIL_PORT is public (web, `vigil up`). That default port being taken is a warning, not a failure:
 * the role runs without metrics rather than not at all.
 */
export async function startMetricsServer(
  runtime: Runtime,
  config: Pick<VigilConfig, 'metrics'>,
  host = '127.0.0.1',
): Promise<(RunningRole & { url: string }) | undefined> {
  const { listen } = config.metrics;
  const token = config.metrics.token ?? runtime.env.VIGIL_METRICS_TOKEN;
  const server = new RoleServer({
    port: listen?.port ?? DEFAULT_METRICS_PORT,
    host: listen?.host ?? host,
    redis: runtime.redis,
    log: runtime.log,
    serves: { health: false, metrics: true },
    metricsToken: token,
    portSetting: 'metrics.listen',
  });
  let url: string;
  try {
    url = `${await server.listen()}/metrics`;
    runtime.log.info({ url, token: token !== undefined }, 'metrics listening');
  } catch (err) {
    if (listen !== undefined) throw err;
    runtime.log.warn(
      { reason: (err as Error).message },
      `metrics not served: port ${DEFAULT_METRICS_PORT} is not free; set metrics.listen in vigil.yaml to serve them elsewhere`,
    );
    return undefined;
  }
  return { name: 'metrics', url, close: () => server.close() };
}

/** Stops roles in the order given (front door first), then the runtime; each step at most once. */
export async function stopAll(roles: readonly RunningRole[], runtime: Runtime): Promise<void> {
  for (const role of roles) {
    await role.close().catch((err: unknown) => runtime.log.error({ err, role: role.name }, 'error while stopping'));
  }
  await runtime.close();
}
