import { join } from 'node:path';
import { type Logger, RoleServer, resolveSecret, type Vantage, type VigilConfig } from '@vigil/core';
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

/** Writes the config's checks into the registry (create or update; others are left alone). */
export async function syncConfigChecks(
  ctx: Pick<SchedulerContext, 'checks'>,
  config: VigilConfig,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = { created: 0, updated: 0, unchanged: 0 };
  for (const check of config.checks) {
    const outcome = await ctx.checks.put(check);
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  return counts;
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

/** `/healthz`, `/readyz` and `/metrics` on VIGIL_PORT for a role without an HTTP surface of its own. */
export async function startRoleServer(runtime: Runtime, host?: string): Promise<RunningRole> {
  const server = new RoleServer({
    port: runtime.env.VIGIL_PORT,
    ...(host !== undefined && { host }),
    redis: runtime.redis,
    log: runtime.log,
  });
  const url = await server.listen();
  runtime.log.info({ url }, 'health and metrics listening');
  return { name: 'health and metrics', close: () => server.close() };
}

/** Stops roles in the order given (front door first), then the runtime; each step at most once. */
export async function stopAll(roles: readonly RunningRole[], runtime: Runtime): Promise<void> {
  for (const role of roles) {
    await role.close().catch((err: unknown) => runtime.log.error({ err, role: role.name }, 'error while stopping'));
  }
  await runtime.close();
}
