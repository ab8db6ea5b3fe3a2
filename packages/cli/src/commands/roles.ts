import { isIP } from 'node:net';
import { type VigilEnv, VigilError } from '@vigil/core';
import {
  type RunningRole,
  startMetricsServer,
  startNotifier,
  startProber,
  startRoleServer,
  startScheduler,
  startWeb,
  stopAll,
} from '../runtime/roles.js';
import { openRuntime, resolveConfig } from '../runtime/runtime.js';
import { onShutdown } from '../runtime/shutdown.js';

type RoleName = 'scheduler' | 'prober' | 'notifier' | 'web';

export interface RoleCommandOptions {
  role: RoleName;
  env: VigilEnv;
  processEnv: NodeJS.ProcessEnv;
  configPath?: string;
  vantage?: string;
  sourceAddress?: string;
  /** Where VIGIL_PORT listens (loopback by default; 0.0.0.0 in a container): the web role, or a role's health and metrics. */
  host?: string;
}

/** One role in this process, until SIGTERM: what a deployment runs, one container a role. */
export async function roleCommand(options: RoleCommandOptions): Promise<void> {
  const { role, env } = options;
  const vantageId = role === 'prober' ? (options.vantage ?? env.VIGIL_VANTAGE) : undefined;
  if (role === 'prober' && !vantageId) {
    throw new VigilError(
      'VALIDATION',
      '--vantage: expected the name of the vantage this prober runs in (or set VIGIL_VANTAGE)',
    );
  }
  if (options.sourceAddress !== undefined && isIP(options.sourceAddress) === 0) {
    throw new VigilError(
      'VALIDATION',
      `--source-address: expected an IPv4 or IPv6 address, got ${JSON.stringify(options.sourceAddress)}`,
    );
  }
  const runtime = await openRuntime({ env, role, ...(vantageId && { vantage: vantageId }) });
  const running: RunningRole[] = [];
  onShutdown(() => stopAll(running, runtime));
  try {
    const { config } = await resolveConfig({
      ...(options.configPath !== undefined && { explicitPath: options.configPath }),
      env,
      processEnv: options.processEnv,
      redisUrl: runtime.redisUrl,
      fallback: role === 'scheduler' || role === 'web' ? 'error' : 'defaults',
      ...(vantageId && { vantage: vantageId }),
    });
    if (role === 'scheduler') running.push(await startScheduler(runtime, config));
    if (role === 'notifier') running.push(await startNotifier(runtime, config));
    if (role === 'web')
      running.push(await startWeb(runtime, config, options.host === undefined ? {} : { host: options.host }));
    if (role === 'prober' && vantageId) {
      const declared = config.vantages.find((v) => v.id === vantageId);
      const sourceAddress = options.sourceAddress ?? declared?.sourceAddress;
      running.push(await startProber(runtime, config, { id: vantageId, ...(sourceAddress && { sourceAddress }) }));
    }
    if (role !== 'web') running.unshift(...(await startRoleServer(runtime, config, options.host)));
    else {
      const metrics = await startMetricsServer(runtime, config, options.host);
      if (metrics) running.unshift(metrics);
    }
    runtime.log.info({ redis: runtime.redisSource }, `${role} running`);
  } catch (err) {
    await stopAll(running, runtime);
    throw err;
  }
}
