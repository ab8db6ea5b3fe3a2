import { describeIssues, isVigilError, onCallReport, parseEnv, type VigilEnv } from '@vigil/core';
import { Command, CommanderError, Option } from 'commander';
import { type IncidentAction, incidentsCommand } from './commands/incidents.js';
import { parseAt, renderOnCall } from './commands/oncall.js';
import { roleCommand } from './commands/roles.js';
import { statusCommand } from './commands/status.js';
import { upCommand } from './commands/up.js';
import { openRuntime, type Runtime, resolveConfig } from './runtime.js';

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
        : 'run the notifier (evaluates results, opens incidents, pages)',
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
  .command('web')
  .description('run the web role: operator API, acknowledge links, /healthz and /readyz on VIGIL_PORT')
  .option('--host <address>', 'address to listen on (default 127.0.0.1; 0.0.0.0 in a container)')
  .addOption(configOption())
  .action(async (opts: { host?: string; config?: string }) => {
    await roleCommand({
      role: 'web',
      env: env(),
      processEnv: process.env,
      ...(opts.config !== undefined && { configPath: opts.config }),
      ...(opts.host !== undefined && { host: opts.host }),
    });
  });

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
  .action((opts: { json?: boolean }) => withRuntime((runtime) => statusCommand(runtime, { json: Boolean(opts.json) })));

/** Runs a command against Redis with a quiet logger, setting the exit code it returns. */
async function withRuntime(run: (runtime: Runtime) => Promise<number>): Promise<void> {
  const runtime = await openRuntime({ env: { ...env(), LOG_LEVEL: 'warn' }, role: 'cli' });
  try {
    process.exitCode = await run(runtime);
  } finally {
    await runtime.close();
  }
}

const incidents = program.command('incidents').description('list, show, acknowledge, update and resolve incidents');
const incidentAction = (action: IncidentAction) => withRuntime((runtime) => incidentsCommand(runtime, action));
incidents
  .command('ls')
  .description('open incidents (--all: every incident, newest first)')
  .option('--all', 'include resolved incidents')
  .option('--json', 'machine-readable output')
  .action((opts: { all?: boolean; json?: boolean }) =>
    incidentAction({ kind: 'ls', all: Boolean(opts.all), json: Boolean(opts.json) }),
  );
incidents
  .command('show <id>')
  .description('one incident with its checks, downtime bounds and timeline')
  .option('--json', 'machine-readable output')
  .action((id: string, opts: { json?: boolean }) => incidentAction({ kind: 'show', id, json: Boolean(opts.json) }));
incidents
  .command('ack <id>')
  .description('acknowledge: stops escalation')
  .option('--by <name>', 'who acknowledges (default: your user name)')
  .action((id: string, opts: { by?: string }) => incidentAction({ kind: 'ack', id, ...opts }));
incidents
  .command('resolve <id>')
  .description('resolve by hand')
  .option('--by <name>', 'who resolves (default: your user name)')
  .option('-m, --message <text>', 'the timeline entry')
  .action((id: string, opts: { by?: string; message?: string }) => incidentAction({ kind: 'resolve', id, ...opts }));
incidents
  .command('update <id>')
  .description('add a timeline entry and set the status')
  .requiredOption('--status <status>', 'investigating, identified, monitoring or resolved')
  .requiredOption('-m, --message <text>', 'what to tell people')
  .option('--by <name>', 'who writes it (default: your user name)')
  .action((id: string, opts: { status: string; message: string; by?: string }) =>
    incidentAction({ kind: 'update', id, ...opts }),
  );

program
  .command('oncall')
  .description('who is on call in each schedule of the config, now or --at a time')
  .addOption(configOption())
  .option('--at <time>', 'an ISO date-time (default: now)')
  .option('--json', 'machine-readable output')
  .action(async (opts: { config?: string; at?: string; json?: boolean }) => {
    const at = parseAt(opts.at, Date.now());
    const { config } = await resolveConfig({
      ...(opts.config !== undefined && { explicitPath: opts.config }),
      env: env(),
      processEnv: process.env,
      fallback: 'error',
    });
    const rows = onCallReport(config, at);
    process.stdout.write(`${opts.json ? JSON.stringify(rows) : renderOnCall(rows)}\n`);
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
