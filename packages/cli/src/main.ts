import { describeIssues, isVigilError, parseEnv, type VigilEnv } from '@vigil/core';
import { Command, CommanderError, Option } from 'commander';
import { roleCommand } from './commands/roles.js';
import { statusCommand } from './commands/status.js';
import { upCommand } from './commands/up.js';
import { openRuntime } from './runtime.js';

/** Exit codes: 0 ok, 1 a fault, 2 bad usage or input, 3 Redis unreachable. */
function exitCodeFor(err: unknown): number {
  if (isVigilError(err, 'REDIS_UNAVAILABLE')) return 3;
  if (isVigilError(err)) return 2;
  return 1;
}

function fail(err: unknown): never {
  if (isVigilError(err)) {
    process.stderr.write(`vigil: ${err.message}\n`);
  } else {
    process.stderr.write(`vigil: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(exitCodeFor(err));
}

function env(): VigilEnv {
  return parseEnv(process.env);
}

const program = new Command('vigil')
  .description('Uptime probing and alerting from several vantage points')
  .showHelpAfterError()
  .exitOverride();

const configOption = () =>
  new Option('-c, --config <file>', 'vigil.yaml to use (default: VIGIL_CONFIG or ./vigil.yaml)');

program
  .command('up')
  .description('run every role in one process (the example config when there is no vigil.yaml)')
  .addOption(configOption())
  .action(async (opts: { config?: string }) => {
    await upCommand({
      ...(opts.config !== undefined && { configPath: opts.config }),
      env: env(),
      processEnv: process.env,
    });
  });

for (const role of ['scheduler', 'notifier'] as const) {
  program
    .command(role)
    .description(
      role === 'scheduler'
        ? 'run the scheduler (checks → BullMQ job schedulers)'
        : 'run the notifier (records results)',
    )
    .addOption(configOption())
    .action(async (opts: { config?: string }) => {
      await roleCommand({
        role,
        env: env(),
        processEnv: process.env,
        ...(opts.config !== undefined && { configPath: opts.config }),
      });
    });
}

program
  .command('prober')
  .description('run a prober for one vantage point')
  .option('--vantage <name>', 'the vantage this prober runs in (default: VIGIL_VANTAGE)')
  .option('--source-address <ip>', 'local address probes leave from')
  .addOption(configOption())
  .action(async (opts: { vantage?: string; sourceAddress?: string; config?: string }) => {
    await roleCommand({
      role: 'prober',
      env: env(),
      processEnv: process.env,
      ...(opts.config !== undefined && { configPath: opts.config }),
      ...(opts.vantage !== undefined && { vantage: opts.vantage }),
      ...(opts.sourceAddress !== undefined && { sourceAddress: opts.sourceAddress }),
    });
  });

program
  .command('status')
  .description("each check's latest result from every vantage")
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) => {
    const runtime = await openRuntime({ env: { ...env(), LOG_LEVEL: 'warn' }, role: 'cli' });
    try {
      process.exitCode = await statusCommand(runtime, { json: Boolean(opts.json) });
    } finally {
      await runtime.close();
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  if (isVigilError(err) && err.issues.length > 0 && !err.message.includes(err.issues[0]?.path ?? '\u0000')) {
    process.stderr.write(`${describeIssues(err.issues)}\n`);
  }
  fail(err);
}
