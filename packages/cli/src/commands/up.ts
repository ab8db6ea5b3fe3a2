import { redactUrl, type VigilEnv } from '@vigil/core';
import {
  type RunningRole,
  startMetricsServer,
  startNotifier,
  startProber,
  startScheduler,
  startWeb,
  stopAll,
} from '../runtime/roles.js';
import { openRuntime, resolveConfig } from '../runtime/runtime.js';
import { onShutdown } from '../runtime/shutdown.js';

/** Every role in one process: the notifier, one prober per configured vantage, the scheduler and the web. */
export async function upCommand(options: {
  configPath?: string;
  env: VigilEnv;
  processEnv: NodeJS.ProcessEnv;
}): Promise<void> {
  const runtime = await openRuntime({ env: options.env, role: 'up', mayStartRedis: true });
  const say = (line: string) => process.stderr.write(`vigil: ${line}\n`);
  if (runtime.redisSource === 'private')
    say(`no Redis at 127.0.0.1:6379, so started a private redis-server at ${runtime.redisUrl} (data in .vigil/redis)`);
  else say(`using Redis at ${redactUrl(runtime.redisUrl)}`);
  const roles: RunningRole[] = [];
  onShutdown(async () => {
    say('stopping…');
    await stopAll([...roles].reverse(), runtime);
  });
  try {
    const { config, path } = await resolveConfig({
      ...(options.configPath !== undefined && { explicitPath: options.configPath }),
      env: options.env,
      processEnv: options.processEnv,
      redisUrl: runtime.redisUrl,
      fallback: 'example',
    });
    say(`config ${path}: ${config.checks.length} checks, vantages ${config.vantages.map((v) => v.id).join(', ')}`);
    roles.push(await startNotifier(runtime, config));
    for (const vantage of config.vantages) roles.push(await startProber(runtime, config, vantage));
    roles.push(await startScheduler(runtime, config));
    // Last in, first out: the front door closes before the roles behind it.
    const metrics = await startMetricsServer(runtime, config);
    if (metrics) roles.push(metrics);
    roles.push(await startWeb(runtime, config));
    const url = `http://127.0.0.1:${options.env.VIGIL_PORT}`;
    say(`up: API at ${url}/api/v1 (token: \`pnpm vigil tokens create --scope admin\`), health at ${url}/healthz`);
    say(metrics ? `metrics at ${metrics.url}` : 'metrics not served (see the warning above)');
    say('see results with `pnpm vigil status`');
  } catch (err) {
    await stopAll([...roles].reverse(), runtime);
    throw err;
  }
}
