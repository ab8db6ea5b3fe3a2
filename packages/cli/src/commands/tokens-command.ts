import type { TokenScope } from '@vigil/core';
import { type Command, Option } from 'commander';
import type { CliContext } from '../cli-context.js';
import type { TokenFlags } from '../token-flags.js';

/** Core's TOKEN_SCOPES, in its order; the compiler checks the list is complete, so `--help` need not load core. */
const SCOPES = Object.keys({ read: true, write: true, admin: true } satisfies Record<TokenScope, true>);

const REDIS_OR_API = 'through the API with VIGIL_TOKEN; without one, straight to Redis (REDIS_URL, VIGIL_PREFIX)';

/** `vigil tokens create|ls|revoke`: API tokens, created on Redis directly until the first one exists; the actions load when they run. */
export function registerTokens(program: Command, cli: () => Promise<CliContext>): void {
  const actions = () => import('./tokens.js');
  const tokens = program.command('tokens').description(`create, list and revoke API tokens (${REDIS_OR_API})`);
  tokens
    .command('create')
    .description(`create a token and print it once (${REDIS_OR_API}: how the first admin token is made)`)
    .addOption(new Option('--scope <scope>', 'what it may do').choices(SCOPES).makeOptionMandatory())
    .option('--owner <owner>', 'the team its checks belong to (default: admin for an admin token; required otherwise)')
    .option('--name <name>', 'a label (default: <owner>-<scope>)')
    .option('--max-checks <n>', 'checks its owner may register')
    .option('--min-interval <duration>', 'the shortest check interval it may use, such as 1m')
    .option('--max-vantages <n>', 'the most vantages one check may probe from')
    .option('--rate-limit <n/period>', 'API requests allowed per period, such as 300/1m')
    .option('--json', 'machine-readable output (includes the token)')
    .action(async (opts: TokenFlags & { json?: boolean }) => (await actions()).create(await cli(), opts));
  tokens
    .command('ls')
    .description('tokens (an admin sees all, others their own): owner, scope, quota and use')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => (await actions()).list(await cli(), opts));
  tokens
    .command('revoke <id>')
    .description('revoke a token at once')
    .action(async (id: string) => (await actions()).revoke(await cli(), id));
}
