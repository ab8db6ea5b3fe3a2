import { CheckRegistry, type Logger, type Vantage, type VigilConfig } from '@vigil/core';
import { ResultRecorder } from '@vigil/notifier';
import { ProbeWorker, TargetGuard } from '@vigil/prober';
import { Scheduler } from '@vigil/scheduler';
import type { Runtime } from './runtime.js';

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
export async function syncConfigChecks(runtime: Runtime, config: VigilConfig): Promise<Record<string, number>> {
  const registry = new CheckRegistry({ redis: runtime.redis, keys: runtime.keys });
  const counts: Record<string, number> = { created: 0, updated: 0, unchanged: 0 };
  for (const check of config.checks) {
    const outcome = await registry.put(check);
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  return counts;
}

export async function startScheduler(runtime: Runtime, config: VigilConfig): Promise<RunningRole> {
  const counts = await syncConfigChecks(runtime, config);
  runtime.log.info({ ...counts }, 'config checks synced into the registry');
  const scheduler = new Scheduler({
    redis: runtime.redis,
    subscriber: runtime.dedicated('subscriber'),
    connection: runtime.connection,
    keys: runtime.keys,
    vantages: config.vantages.map((vantage) => vantage.id),
    log: roleLog(runtime, 'scheduler'),
  });
  await scheduler.start();
  return { name: 'scheduler', close: () => scheduler.close() };
}

export async function startProber(runtime: Runtime, config: VigilConfig, vantage: Vantage): Promise<RunningRole> {
  const worker = new ProbeWorker({
    redis: runtime.redis,
    connection: runtime.connection,
    keys: runtime.keys,
    vantage,
    guard: new TargetGuard({ allowPrivateTargets: config.allowPrivateTargets, allowTargets: config.allowTargets }),
    settings: config.prober,
    log: roleLog(runtime, 'prober', { vantage: vantage.id }),
  });
  await worker.start();
  return { name: `prober ${vantage.id}`, close: () => worker.close() };
}

export async function startNotifier(runtime: Runtime, config: VigilConfig): Promise<RunningRole> {
  const recorder = new ResultRecorder({
    redis: runtime.redis,
    connection: runtime.connection,
    keys: runtime.keys,
    log: roleLog(runtime, 'notifier'),
    historySize: config.history.perCheck,
  });
  await recorder.start();
  return { name: 'notifier', close: () => recorder.close() };
}

/** Stops roles in the order given (front door first), then the runtime; each step at most once. */
export async function stopAll(roles: readonly RunningRole[], runtime: Runtime): Promise<void> {
  for (const role of roles) {
    await role.close().catch((err: unknown) => runtime.log.error({ err, role: role.name }, 'error while stopping'));
  }
  await runtime.close();
}
