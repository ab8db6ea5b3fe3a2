import type { Server } from 'node:http';
import { redactUrl, type VigilEnv } from '@vigil/core';
import { startHealthServer } from '../health-server.js';
import { type RunningRole, startNotifier, startProber, startScheduler, stopAll } from '../roles.js';
import { openRuntime, resolveConfig } from '../runtime.js';
import { onShutdown } from '../shutdown.js';

/** Every role in one process: the notifier, the scheduler, one prober per configured vantage. */
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
  let health: Server | undefined;
  onShutdown(async () => {
    say('stopping…');
    await new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve()));
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
    health = await startHealthServer({ port: options.env.VIGIL_PORT, redis: runtime.redis });
    roles.push(await startNotifier(runtime, config));
    for (const vantage of config.vantages) roles.push(await startProber(runtime, config, vantage));
    roles.push(await startScheduler(runtime, config));
    say(`up: health at http://127.0.0.1:${options.env.VIGIL_PORT}/healthz; see results with \`pnpm vigil status\``);
  } catch (err) {
    await stopAll([...roles].reverse(), runtime);
    await new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve()));
    throw err;
  }
}
