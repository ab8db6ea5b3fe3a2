/**
 * The `vigil` command. Registering the commands is cheap (commander, flags and help); each action
 * imports what it runs when it runs, so `vigil --help` loads neither @vigil/core nor any role.
 */
import type { VigilErrorCode } from '@vigil/core';
import { Command, CommanderError } from 'commander';
import type { CliContext } from './cli-context.js';
import { registerApply } from './commands/apply-command.js';
import { registerChecks } from './commands/checks-command.js';
import { registerIncidents } from './commands/incidents-command.js';
import { registerOncall } from './commands/oncall-command.js';
import { registerRoles } from './commands/roles-command.js';
import { registerStatus } from './commands/status-command.js';
import { registerTokens } from './commands/tokens-command.js';

/** What a script can rely on: each error code's exit status (a new code does not compile until mapped). */
const EXIT: Record<VigilErrorCode, number> = {
  CONFIG_INVALID: 2,
  ENV_INVALID: 2,
  VALIDATION: 2,
  CONFLICT: 2,
  TOKEN_INVALID: 2,
  REDIS_UNAVAILABLE: 3,
  API_UNREACHABLE: 3,
  UNAUTHORIZED: 4,
  FORBIDDEN: 4,
  QUOTA_EXCEEDED: 4,
  RATE_LIMITED: 4,
  NOT_FOUND: 5,
};

const EXIT_CODES = `
Environment:
  VIGIL_URL     the API the commands talk to (default http://127.0.0.1:$VIGIL_PORT)
  VIGIL_TOKEN   the API token (\`vigil tokens create\`). Without one, status and tokens
                work straight on Redis (REDIS_URL, VIGIL_PREFIX) and oncall reads vigil.yaml

Exit codes:
  0  ok (for apply: applied, or nothing to change)
  1  an unexpected fault (a bug, or the API failed on its side)
  2  bad input or usage: a flag, a file, the environment, a refused request (400, 409)
  3  cannot reach Redis or the API
  4  not allowed: no token, a bad or revoked token, too small a scope, quota or rate limit (401, 403, 429)
  5  not found (404)`;

/** One line per problem: `environment is invalid:\nREDIS_URL: …` with one issue reads as one line. */
function oneLine(message: string): string {
  const lines = message.split('\n');
  return lines.length === 2 && lines[0]?.endsWith(':') ? `${lines[0]} ${lines[1]}` : message;
}

/** An action's error: one line and its exit code (the action has loaded core and the API client already). */
async function fail(err: unknown): Promise<never> {
  const [{ isVigilError }, { ApiFault }] = await Promise.all([import('@vigil/core'), import('./api-client.js')]);
  if (isVigilError(err)) process.stderr.write(`vigil: ${oneLine(err.message)}\n`);
  else if (err instanceof ApiFault)
    process.stderr.write(`vigil: the API failed (HTTP ${err.status}): ${err.message}\n`);
  else process.stderr.write(`vigil: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(isVigilError(err) ? EXIT[err.code] : 1);
}

let context: Promise<CliContext> | undefined;
/** The context every action gets, made on first use. */
const cli = () => {
  context ??= import('./cli-context.js').then(
    ({ CliContext }) => new CliContext(process.env, process.stdout, process.stderr),
  );
  return context;
};

const program = new Command('vigil')
  .description('Uptime probing and alerting from several vantage points')
  .addHelpText('after', EXIT_CODES)
  .showHelpAfterError()
  .exitOverride();

registerRoles(program, cli);
registerStatus(program, cli);
registerChecks(program, cli);
registerIncidents(program, cli);
registerOncall(program, cli);
registerTokens(program, cli);
registerApply(program, cli);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  await fail(err);
}
