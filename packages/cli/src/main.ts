import { isVigilError, type VigilErrorCode } from '@vigil/core';
import { Command, CommanderError } from 'commander';
import { ApiFault } from './api-client.js';
import { CliContext } from './cli-context.js';
import { registerApply } from './commands/apply.js';
import { registerChecks } from './commands/checks.js';
import { registerIncidents } from './commands/incidents.js';
import { registerOncall } from './commands/oncall.js';
import { registerRoles } from './commands/roles.js';
import { registerStatus } from './commands/status.js';
import { registerTokens } from './commands/tokens.js';

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

function exitCodeFor(err: unknown): number {
  if (isVigilError(err)) return EXIT[err.code];
  return 1;
}

/** One line per problem: `environment is invalid:\nREDIS_URL: …` with one issue reads as one line. */
function oneLine(message: string): string {
  const lines = message.split('\n');
  return lines.length === 2 && lines[0]?.endsWith(':') ? `${lines[0]} ${lines[1]}` : message;
}

function fail(err: unknown): never {
  if (isVigilError(err)) process.stderr.write(`vigil: ${oneLine(err.message)}\n`);
  else if (err instanceof ApiFault)
    process.stderr.write(`vigil: the API failed (HTTP ${err.status}): ${err.message}\n`);
  else process.stderr.write(`vigil: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(exitCodeFor(err));
}

const cli = new CliContext(process.env, process.stdout, process.stderr);
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
  fail(err);
}
