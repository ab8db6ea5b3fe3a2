import { type Command, Option } from 'commander';
import type { CliContext } from '../cli-context.js';
import { fitProberHeap } from '../runtime/prober-heap.js';
import { holdYoungGeneration } from '../runtime/young-generation.js';
import type { RoleCommandOptions } from './roles.js';

const hostOption = () =>
  new Option('--host <address>', 'address VIGIL_PORT listens on (default 127.0.0.1; 0.0.0.0 in a container)');

const configOption = () =>
  new Option('-c, --config <file>', 'vigil.yaml to use (default: VIGIL_CONFIG or ./vigil.yaml)');

/** `vigil up`, `vigil scheduler`, `vigil notifier`, `vigil web`, `vigil prober`: the processes; a role's code loads when it starts. */
export function registerRoles(program: Command, context: () => Promise<CliContext>): void {
  const run = async (options: Omit<RoleCommandOptions, 'env' | 'processEnv'>) => {
    // Before the role's modules load: an idle role keeps a small young generation (see young-generation.ts).
    const release = holdYoungGeneration();
    try {
      const [{ roleCommand }, cli] = await Promise.all([import('./roles.js'), context()]);
      await roleCommand({ ...options, env: cli.env, processEnv: cli.processEnv });
    } finally {
      release();
    }
    // A prober process is many small short-lived probes: its heap is held close to what lives (see prober-heap.ts).
    if (options.role === 'prober') fitProberHeap();
  };
  program
    .command('up')
    .description('run every role in one process (the example config when there is no vigil.yaml)')
    .addOption(configOption())
    .action(async (opts: { config?: string }) => {
      const release = holdYoungGeneration();
      try {
        const [{ upCommand }, cli] = await Promise.all([import('./up.js'), context()]);
        await upCommand({
          ...(opts.config !== undefined && { configPath: opts.config }),
          env: cli.env,
          processEnv: cli.processEnv,
        });
      } finally {
        release();
      }
    });
  for (const role of ['scheduler', 'notifier'] as const) {
    program
      .command(role)
      .description(
        role === 'scheduler'
          ? 'run the scheduler (checks → BullMQ job schedulers)'
          : 'run the notifier (evaluates results, opens incidents, pages)',
      )
      .addOption(hostOption())
      .addOption(configOption())
      .action(async (opts: { host?: string; config?: string }) => {
        await run({
          role,
          ...(opts.config !== undefined && { configPath: opts.config }),
          ...(opts.host !== undefined && { host: opts.host }),
        });
      });
  }
  program
    .command('web')
    .description(
      'run the web role: status page, operator API, acknowledge links, /healthz, /readyz on VIGIL_PORT; /metrics on port 9464 (or metrics.listen)',
    )
    .addOption(hostOption())
    .addOption(configOption())
    .action(async (opts: { host?: string; config?: string }) => {
      await run({
        role: 'web',
        ...(opts.config !== undefined && { configPath: opts.config }),
        ...(opts.host !== undefined && { host: opts.host }),
      });
    });
  program
    .command('prober')
    .description('run a prober for one vantage point')
    .option('--vantage <name>', 'the vantage this prober runs in (default: VIGIL_VANTAGE)')
    .option('--source-address <ip>', 'local address probes leave from')
    .addOption(hostOption())
    .addOption(configOption())
    .action(async (opts: { vantage?: string; sourceAddress?: string; host?: string; config?: string }) => {
      await run({
        role: 'prober',
        ...(opts.config !== undefined && { configPath: opts.config }),
        ...(opts.host !== undefined && { host: opts.host }),
        ...(opts.vantage !== undefined && { vantage: opts.vantage }),
        ...(opts.sourceAddress !== undefined && { sourceAddress: opts.sourceAddress }),
      });
    });
}
